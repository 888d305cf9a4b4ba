import type { SessionDescriptionHandler, SessionDescriptionHandlerFactory } from "sip.js";

/**
 * The box's own calls (click-to-call's first leg) carry no sound: every offer and answer is one
 * PCMU stream marked `a=inactive` (RFC 4566 §6), so the phone sends no RTP and expects none. It
 * replaces sip.js's default handler, which needs a browser's WebRTC. A re-INVITE (a phone putting
 * the box on hold before it follows a REFER) is answered the same way.
 */
export const noMediaSessions: SessionDescriptionHandlerFactory = () => NO_MEDIA;

/** Session version and id: any fixed pair is valid as long as each description repeats it. */
const SDP = [
  "v=0",
  "o=branchbox 1 1 IN IP4 127.0.0.1",
  "s=branchbox",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 9 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "a=inactive",
  "",
].join("\r\n");

const NO_MEDIA: SessionDescriptionHandler = {
  close() {},
  getDescription: () => Promise.resolve({ body: SDP, contentType: "application/sdp" }),
  hasDescription: (contentType) => contentType === "application/sdp",
  setDescription: () => Promise.resolve(),
  sendDtmf: () => false,
};
