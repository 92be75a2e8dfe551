import { keyMatrix } from "./matrix.ts";
import { formatReports } from "./report.ts";
console.log(formatReports([await keyMatrix()]));
