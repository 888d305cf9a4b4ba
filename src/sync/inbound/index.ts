export * from "../../contract/down-records.ts";
export { type CommandPort, type CommandResult, noCommands } from "../../service/command-port.ts";
export type {
  ClientDirectory,
  DownHandler,
  DownOutcome,
  DownStreamStatus,
  Inbound,
  InboundChange,
  InboundOptions,
  InboundStatus,
  PbxDownRecord,
  PbxEventsPort,
  RejectCode,
} from "./inbound-types.ts";
export { REJECT_CODES } from "./inbound-types.ts";
export { createInbound } from "./inbox.ts";
