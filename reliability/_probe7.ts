import { auditSecretComparisons, workerSources, codeOnly } from "./audit.ts";
const files = await workerSources(new URL("../", import.meta.url));
for (const f of auditSecretComparisons(files)) console.log(f.file, f.line, f.code);
