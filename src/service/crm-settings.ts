import type { Config } from "../config/schema.ts";
import type { HqSettings } from "../contract/down-records.ts";
import type { CrmSettings } from "../domain/rules/intent-types.ts";

/**
 * The CRM intents' settings: HQ's `settings.update` where it set a key, else the config's [crm]
 * section. The senior manager is the attribution's (config [calls] or HQ's, on the staff).
 */
export function crmSettings(
  config: Config,
  hq: HqSettings | null,
  seniorManagerId: string | null,
): CrmSettings {
  const fromConfig = config.crm.unsorted_default_pipeline;
  return {
    seniorManagerId,
    mode: hq?.crmMode ?? config.crm.mode,
    unknownNumbers: hq?.unknownNumbers ?? config.crm.unknown_numbers,
    unsortedPipelines: hq?.unsortedPipelines ?? config.crm.unsorted_pipelines,
    defaultPipeline:
      hq?.unsortedDefaultPipeline !== undefined
        ? hq.unsortedDefaultPipeline
        : fromConfig === ""
          ? null
          : fromConfig,
  };
}
