"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.bearerCredential = bearerCredential;
/** An interceptor that sends `Authorization: Bearer <credential>` with every call. */
function bearerCredential(credential) {
    return (next) => async (req) => {
        req.header.set("authorization", `Bearer ${typeof credential === "string" ? credential : await credential()}`);
        return next(req);
    };
}
