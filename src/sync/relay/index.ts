export { createRelay } from "./relay.ts";
export type {
  Relay,
  RelayOptions,
  RelayState,
  RelayStatus,
  RelayTuning,
  StreamStatus,
} from "./relay-types.ts";
