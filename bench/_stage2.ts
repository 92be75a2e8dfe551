import * as v from "valibot";
import { TolokaEmulator } from "../src/testing/mod.ts";
const em = new TolokaEmulator({ pools: [10000] });
const res = await em.fetch("http://x/api/v1/attachments?pool_id=1&sort=id&limit=100&id_gt=5", { headers: { authorization: "OAuth test-token" } });
const items = JSON.parse(await res.text()).items;
const os = v.optional(v.string());
const isObj = (i: unknown) => typeof i === "object" && i !== null && !Array.isArray(i);
const jo = (e: v.ObjectEntries) => v.pipe(v.custom<Record<string, unknown>>(isObj), v.object(e));
const cur = v.array(v.object({ attachment_type: os, name: os, details: v.optional(jo({ user_id: os, assignment_id: os, pool_id: os })), owner: v.optional(jo({ id: os, myself: v.optional(v.boolean()), company_id: os })), media_type: os }));
const noPipe = v.array(v.object({ attachment_type: os, name: os, details: v.optional(v.object({ user_id: os, assignment_id: os, pool_id: os })), owner: v.optional(v.object({ id: os, myself: v.optional(v.boolean()), company_id: os })), media_type: os }));
const leavesOnly = v.array(v.object({ attachment_type: os, name: os, media_type: os }));
const emptyObj = v.array(v.object({}));
// in-place object: valibot schema protocol, no output object
function inPlace<E extends v.ObjectEntries>(entries: E) {
  const keys = Object.keys(entries);
  const base = v.object(entries);
  return { ...base, "~run"(dataset: any, config: any) {
    const input = dataset.value;
    if (typeof input !== "object" || input === null || Array.isArray(input)) { return base["~run"](dataset, config); }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = input[key];
      if (value === undefined) continue;
      const d = (entries[key] as any)["~run"]({ value }, config);
      if (d.issues) { for (const issue of d.issues) { const p = { type: "object", origin: "value", input, key, value }; if (issue.path) issue.path.unshift(p); else issue.path = [p]; } dataset.issues = d.issues; dataset.typed = false; return dataset; }
    }
    dataset.typed = true;
    return dataset;
  } } as unknown as v.GenericSchema;
}
const ip = v.array(inPlace({ attachment_type: os, name: os, details: v.optional(inPlace({ user_id: os, assignment_id: os, pool_id: os })), owner: v.optional(inPlace({ id: os, myself: v.optional(v.boolean()), company_id: os })), media_type: os }));
Deno.bench("current", { baseline: true }, () => { v.safeParse(cur, items, { abortEarly: true }); });
Deno.bench("noPipe", () => { v.safeParse(noPipe, items, { abortEarly: true }); });
Deno.bench("leavesOnly", () => { v.safeParse(leavesOnly, items, { abortEarly: true }); });
Deno.bench("emptyObj", () => { v.safeParse(emptyObj, items, { abortEarly: true }); });
Deno.bench("inPlace", () => { v.safeParse(ip, items, { abortEarly: true }); });
