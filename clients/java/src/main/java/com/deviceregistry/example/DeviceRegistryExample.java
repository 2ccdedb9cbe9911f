package com.deviceregistry.example;

import com.deviceregistry.v1.AuthenticateDeviceRequest;
import com.deviceregistry.v1.AuthenticateDeviceResponse;
import com.deviceregistry.v1.ClaimDeviceRequest;
import com.deviceregistry.v1.ClaimDeviceResponse;
import com.deviceregistry.v1.Device;
import com.deviceregistry.v1.DeviceAuthServiceGrpc;
import com.deviceregistry.v1.DeviceProvisioningServiceGrpc;
import com.deviceregistry.v1.DeviceRegistryServiceGrpc;
import com.deviceregistry.v1.ImportDeviceEntry;
import com.deviceregistry.v1.ImportDevicesRequest;
import com.deviceregistry.v1.ListDevicesRequest;
import com.deviceregistry.v1.RegisterDeviceRequest;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.File;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Calls the device registry over gRPC with stubs generated from proto/: an admin registers a
 * device (and again, which the service refuses), imports one that then claims itself, and a hub
 * authenticates it. Prints one {@code key<TAB>value} line per outcome.
 *
 * <p>Usage: {@code DeviceRegistryExample <host:port> <admin JWT> <hub JWT> <hardware_id prefix> [CA certificate PEM for TLS]}
 */
public final class DeviceRegistryExample {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  public static void main(String[] args) throws Exception {
    String target = args[0];
    String prefix = args[3];
    ChannelCredentials credentials = args.length > 4
        ? TlsChannelCredentials.newBuilder().trustManager(new File(args[4])).build()
        : InsecureChannelCredentials.create();
    ManagedChannel channel = Grpc.newChannelBuilder(target, credentials).build();
    try {
      var admin = DeviceRegistryServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(args[1]));
      var hub = DeviceAuthServiceGrpc.newBlockingStub(channel).withCallCredentials(bearer(args[2]));
      var devices = DeviceProvisioningServiceGrpc.newBlockingStub(channel);

      RegisterDeviceRequest register = RegisterDeviceRequest.newBuilder().setName("from Java").setHardwareId(prefix + "-REG").build();
      Device device = admin.withDeadlineAfter(10, TimeUnit.SECONDS).registerDevice(register);
      print("registered", device.getDeviceId() + " " + device.getTenantId() + " " + device.getApiKey().startsWith("sk_live_"));
      printFailure("register_again", () -> admin.withDeadlineAfter(10, TimeUnit.SECONDS).registerDevice(register));

      String claimKey = admin.withDeadlineAfter(10, TimeUnit.SECONDS)
          .importDevices(ImportDevicesRequest.newBuilder().addDevices(ImportDeviceEntry.newBuilder().setHardwareId(prefix + "-IMP")).build())
          .getResults(0).getClaimKey();
      ClaimDeviceResponse claimed = devices.withDeadlineAfter(10, TimeUnit.SECONDS)
          .claimDevice(ClaimDeviceRequest.newBuilder().setClaimKey(claimKey).setHardwareId(prefix + "-IMP").build());
      print("claimed", claimed.getDeviceId() + " " + claimed.getApiKey().startsWith("sk_live_"));

      AuthenticateDeviceResponse identity = hub.withDeadlineAfter(10, TimeUnit.SECONDS).authenticateDevice(
          AuthenticateDeviceRequest.newBuilder().setDeviceId(claimed.getDeviceId()).setApiKey(claimed.getApiKey()).build());
      print("authenticated", identity.getDeviceId() + " " + identity.getTenantId());
      printFailure("authenticate_wrong_key", () -> hub.withDeadlineAfter(10, TimeUnit.SECONDS).authenticateDevice(
          AuthenticateDeviceRequest.newBuilder().setDeviceId(claimed.getDeviceId()).setApiKey("sk_live_wrong").build()));

      // A deadline shorter than any call can take: the call ends DEADLINE_EXCEEDED, never with a result.
      printFailure("short_deadline", () -> admin.withDeadlineAfter(1, TimeUnit.NANOSECONDS).listDevices(ListDevicesRequest.getDefaultInstance()));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Sends {@code Authorization: Bearer <token>} with every call. */
  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  private static void printFailure(String key, Runnable call) {
    try {
      call.run();
      print(key, "OK");
    } catch (StatusRuntimeException e) {
      print(key, e.getStatus().getCode() + " " + e.getStatus().getDescription());
    }
  }

  private static void print(String key, String value) {
    System.out.println(key + "\t" + value);
  }
}
