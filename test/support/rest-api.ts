/** A JSON object as the REST mapping answers it. */
export type Json = Record<string, any>;

/** One REST answer: the HTTP status and the parsed JSON body. */
export interface RestReply {
  readonly status: number;
  readonly body: Json;
}

/** A REST answer with its response headers. */
interface RestExchange extends RestReply {
  readonly headers: Headers;
}

/**
 * Plain-fetch calls to the REST mapping of a running service, with a bearer token (none when it
 * is undefined). A body is sent as JSON, or as it is when it is bytes; an answer that is not JSON
 * has the body { unparsable: its first 200 characters }.
 */
export interface RestApi {
  call(method: string, path: string, token: string | undefined, body?: unknown): Promise<RestReply>;
  /** A call with extra request headers, answered with the response headers too. */
  exchange(method: string, path: string, token: string | undefined, body: unknown, headers: Record<string, string>): Promise<RestExchange>;
  /** Registers a device and insists on 200; the answer carries its api_key. */
  register(token: string, device: Json): Promise<Json>;
  /** AuthenticateDevice as a hub would call it, with a `service` token. */
  authenticate(serviceToken: string, deviceId: string, apiKey: string): Promise<RestReply>;
}

/** A REST client for the service at `baseUrl`. */
export function createRestApi(baseUrl: string): RestApi {
  const exchange = async (method: string, path: string, token: string | undefined, body: unknown, headers: Record<string, string>): Promise<RestExchange> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: parsed(await res.text()), headers: res.headers };
  };
  const call = async (method: string, path: string, token: string | undefined, body?: unknown): Promise<RestReply> => {
    const { status, body: json } = await exchange(method, path, token, body, {});
    return { status, body: json };
  };
  return {
    call,
    exchange,
    async register(token, device) {
      const reply = await call("POST", "/api/v1/devices", token, device);
      if (reply.status !== 200) throw new Error(`registration failed: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
    authenticate: (serviceToken, deviceId, apiKey) => call("POST", "/api/v1/devices:authenticate", serviceToken, { device_id: deviceId, api_key: apiKey }),
  };
}

/** A body's JSON, or its first characters when it is not JSON. */
function parsed(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return { unparsable: text.slice(0, 200) };
  }
}
