/**
 * The relay's reconnect delays. Same policy as the AMI link (exponential backoff with FULL jitter:
 * delay = random() × min(cap, base × 2^attempt)); one implementation, imported rather than copied.
 * Full jitter matters more here than anywhere: when the HQ broker restarts, every branch of the
 * company loses it in the same second and must not come back in one wave.
 */
export { type Backoff, type BackoffOptions, createBackoff } from "../../pbx/ami/backoff.ts";
