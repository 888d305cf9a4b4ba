/**
 * The dialog-info document (RFC 4235) a phone's state would make, to PUBLISH for an extension
 * that has no phone (dialog-publisher.ts): one dialog, `state="full"`.
 */
export function dialogDoc(options: {
  ext: string;
  domain: string;
  callId: string;
  state: "early" | "confirmed" | "terminated";
  remote: string;
  version: number;
}): string {
  const { ext, domain, callId, state, remote, version } = options;
  return `<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="sip:${ext}@${domain}">
  <dialog id="${callId}" call-id="${callId}" local-tag="l${callId}" remote-tag="r${callId}" direction="recipient">
    <state>${state}</state>
    <remote><identity>sip:${remote}@${domain}</identity><target uri="sip:${remote}@${domain}"/></remote>
    <local><identity>sip:${ext}@${domain}</identity><target uri="sip:${ext}@${domain}"/></local>
  </dialog>
</dialog-info>`;
}
