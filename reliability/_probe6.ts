import { startEdge } from "../tests/edge_harness.ts";
const edge = await startEdge({ emulator: { pools: [30] } });
const { key } = await edge.issue({ pools: ["1"] });
for (const d of ["0000-01-01T00:00:00+01:00","0000-01-01","9999-12-31T23:59:59-01:00","9999-12-31T23:59:59.999999","2016-05-25T16:14:27.123456+14:00","2016-05-25T16:14:27.12345678","2016-05-25 16:14:27","2016-05-25t16:14:27z"," 2016-05-25 ","2016-05-25T16:14:27.000000000Z","2016-02-29","1970-01-01T00:00:00+00","2015-02-29","2016-05-25T24:00:00","-2016-05-25", "2016-05-25T16:14:27.1234567+01:00", "2016-05-25T16:14:27.10000000Z"]) {
  for (const route of ["attachments", "attachments.ndjson"]) {
    const r = await edge.request(`/api/v1/${route}?pool_id=1&created_gte=${encodeURIComponent(d)}`, { key });
    console.log(JSON.stringify(d), route, r.status, r.text.slice(0, 150).replace(/\n/g, " "));
  }
}
await edge.close();
