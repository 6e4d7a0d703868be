package io.kvstore.protocol;

/**
 * What the {@link FrameDecoder} emits instead of a frame when the byte stream breaks the protocol: an error
 * value, so the handler after it can answer with a typed error frame rather than catch an exception.
 *
 * @param code      what was wrong; {@link ErrorCode#fatal()} says whether framing is lost
 * @param opcode    the opcode byte of the offending frame if its header was read, else 0
 * @param requestId the request id of the offending frame if its header was read, else 0
 * @param message   a human-readable explanation naming the bad field and value
 */
public record DecodeError(ErrorCode code, int opcode, long requestId, String message) {
}
