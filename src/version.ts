import pkg from "../package.json" with { type: "json" };

// Baked in by scripts/build.ts (`define`); running from source says "-dev" and "unknown".
declare const BRANCHBOX_VERSION: string | undefined;
declare const BRANCHBOX_COMMIT: string | undefined;

export const VERSION: string =
  typeof BRANCHBOX_VERSION === "string" ? BRANCHBOX_VERSION : `${pkg.version}-dev`;
export const COMMIT: string = typeof BRANCHBOX_COMMIT === "string" ? BRANCHBOX_COMMIT : "unknown";
