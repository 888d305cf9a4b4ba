export type UpgradeCode =
  | "UPGRADE.BAD_SOURCE"
  | "UPGRADE.DOWNLOAD_FAILED"
  | "UPGRADE.BAD_CHECKSUM"
  | "UPGRADE.NO_CHECKSUM"
  | "UPGRADE.CHECKSUM_MISMATCH"
  | "UPGRADE.NO_SIGNATURE"
  | "UPGRADE.BAD_SIGNATURE"
  | "UPGRADE.BAD_PUBLIC_KEY"
  | "UPGRADE.NEW_BINARY_BROKEN"
  | "UPGRADE.NO_BINARY"
  | "UPGRADE.IO"
  | "UPGRADE.BUSY"
  | "UPGRADE.ROLLED_BACK"
  | "UPGRADE.ROLLBACK_FAILED";

/** Why `branchbox upgrade` stopped; before the swap nothing on the box was changed. */
export class UpgradeError extends Error {
  constructor(
    readonly code: UpgradeCode,
    message: string,
  ) {
    super(message);
  }
}
