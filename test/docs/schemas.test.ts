// docs/schemas/ is generated from the zod schemas (scripts/gen-schemas.ts): regenerated here in
// memory, it must equal what is on disk, file for file. And every example in docs/contract.md
// marked `<!-- example: NAME -->` must pass the schema NAME (the zod schema the JSON Schema came from).
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { SCHEMA_DIR, schemaFiles, schemaZod } from "../../scripts/gen-schemas.ts";

const STALE = "docs/schemas is not current: run `npm run schemas` and commit the result";

describe("docs/schemas", () => {
  const generated = schemaFiles();

  test("holds exactly the generated files", () => {
    const onDisk = readdirSync(SCHEMA_DIR)
      .filter((name) => name.endsWith(".schema.json"))
      .sort();
    expect(onDisk, STALE).toEqual([...generated.keys()].sort());
  });

  for (const [name, text] of generated) {
    test(`${name} is current`, () => {
      let current = "";
      try {
        current = readFileSync(join(SCHEMA_DIR, name), "utf8");
      } catch {
        // missing: the comparison below fails with the hint
      }
      expect(current === text, `${name}: ${STALE}`).toBe(true);
    });
  }
});

describe("docs/contract.md examples", () => {
  const contract = readFileSync(join(SCHEMA_DIR, "../contract.md"), "utf8");
  const examples = [...contract.matchAll(/<!-- example: ([\w.-]+) -->\s*```json\n([\s\S]*?)```/g)];
  const schemas = schemaZod();

  test("the contract has examples", () => {
    expect(examples.length).toBeGreaterThan(3);
  });

  for (const [, name = "", json = ""] of examples) {
    test(`the ${name} example passes its schema`, () => {
      const schema: z.ZodType | undefined = schemas.get(`${name}.schema.json`);
      expect(schema, `no schema ${name}.schema.json`).toBeDefined();
      const result = schema?.safeParse(JSON.parse(json));
      expect(result?.error?.issues ?? []).toEqual([]);
    });
  }
});
