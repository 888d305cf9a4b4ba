// `[hq] database_url` (issue 18): empty keeps SQLite; a PostgreSQL URL, checked at load, never shown.
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/load.ts";
import { loadHqConfig } from "../../src/hq/hq-config.ts";

const base = (hq: readonly string[], extra: readonly string[] = []) =>
  [
    "[mqtt]",
    'url = "mqtt://127.0.0.1:1883"',
    "[hq]",
    'token = "hq-config-token-0123456789"',
    ...hq,
    ...extra,
    "",
  ].join("\n");

const refusal = (fileText: string, env: Record<string, string> = {}): ConfigError => {
  try {
    loadHqConfig({ fileText, env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
};

const MANGO = ["[hq.mango]", 'vpbx_api_key = "mango-key-0123"', 'vpbx_api_salt = "mango-salt-0123"'];

describe("[hq] database_url", () => {
  test("absent: SQLite in storage_dir; a postgres:// or postgresql:// URL, from the file or BRANCHBOX_HQ_DATABASE_URL", () => {
    expect(loadHqConfig({ fileText: base([]) }).hq.database_url).toBe("");
    const url = "postgres://hq:pw@db.example.ru:5432/hq";
    expect(loadHqConfig({ fileText: base([`database_url = "${url}"`]) }).hq.database_url).toBe(url);
    expect(
      loadHqConfig({ fileText: base([]), env: { BRANCHBOX_HQ_DATABASE_URL: "postgresql://hq@10.0.0.5/hq" } })
        .hq.database_url,
    ).toBe("postgresql://hq@10.0.0.5/hq");
  });

  test("another kind of URL is CONFIG.INVALID naming the key, the value hidden (it holds a password)", () => {
    const error = refusal(base(['database_url = "mysql://hq:hidden-pw-99@db/hq"']));
    expect(error.code).toBe("CONFIG.INVALID");
    expect(error.message).toContain("hq.database_url = (hidden)");
    expect(error.message).toContain("PostgreSQL URL");
    expect(error.message).not.toContain("hidden-pw-99");
  });

  test("[hq.mango] with a PostgreSQL database_url is taken: Mango's stores run on either engine", () => {
    const url = "postgres://hq:hidden-pw-99@db/hq";
    const config = loadHqConfig({ fileText: base([`database_url = "${url}"`], MANGO) });
    expect(config.hq.database_url).toBe(url);
    expect(config.hq.mango?.vpbx_api_key).toBe("mango-key-0123");
  });
});

describe("[hq.crm] (issue 19)", () => {
  test("each CRM's own keys are required; users map employees once; secrets never shown", () => {
    const retail = loadHqConfig({
      fileText: base(
        [],
        [
          "[hq.crm]",
          'kind = "retailcrm"',
          'url = "https://demo.retailcrm.ru"',
          'api_key = "rc-key-0123456789"',
          'site = "main"',
          "[[hq.crm.users]]",
          'employee = "anna"',
          'user = "12"',
        ],
      ),
    });
    expect(retail.hq.crm).toMatchObject({
      kind: "retailcrm",
      site: "main",
      users: [{ employee: "anna", user: "12" }],
    });
    const amo = refusal(
      base(
        [],
        [
          "[hq.crm]",
          'kind = "amocrm"',
          'url = "https://demo.amocrm.ru"',
          'client_id = "id"',
          'client_secret = "amo-secret-0123456789"',
          "[[hq.crm.users]]",
          'employee = "anna"',
          'user = "1"',
          "[[hq.crm.users]]",
          'employee = "anna"',
          'user = "2"',
        ],
      ),
    );
    expect(amo.message).toContain("amocrm needs redirect_uri");
    expect(amo.message).toContain("amocrm needs refresh_token");
    expect(amo.message).toContain("mapped twice");
    expect(amo.message).not.toContain("amo-secret-0123456789");
  });

  test("[hq.crm] with a forward_url is refused: both would consume the one forward queue", () => {
    const crm = [
      "[hq.crm]",
      'kind = "retailcrm"',
      'url = "https://demo.retailcrm.ru"',
      'api_key = "k"',
      'site = "s"',
    ];
    const error = refusal(base(['forward_url = "https://crm.example.ru/in"'], crm));
    expect(error.message).toContain("hq.forward_url");
    expect(error.message).toContain("must be empty with [hq.crm]");
    expect(loadHqConfig({ fileText: base([], crm) }).hq.forward_url).toBe("");
  });
});
