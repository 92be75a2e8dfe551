/**
 * Secret hygiene: every response header block, body and log line an engine sees goes through a
 * {@link SecretScanner}, which counts what it scanned and reports any secret found. The secrets
 * are the upstream tokens, the sealing key, every raw key and every sealed token of a run, plus
 * the encodings under which one could slip out unnoticed (base64, percent-encoding, JSON) and,
 * for long secrets, 16-character windows of them, so a partial leak is found too.
 *
 * @module
 */

/** A leak: which secret (by label, never by value) appeared where. */
export interface Leak {
  /** A label of the secret, such as `"raw key 3"`. */
  secret: string;
  /** Where it was seen, such as `"body of GET /api/v1/attachments"`. */
  where: string;
}

/** What a scanner saw. */
export interface ScanFigures {
  /** Texts scanned (header blocks, bodies, log lines). */
  texts: number;
  /** Characters scanned. */
  chars: number;
  /** Secrets looked for (with their encodings). */
  secrets: number;
  /** Leaks found; a run passes with none. */
  leaks: Leak[];
}

/** The forms of a secret worth looking for besides itself. */
function encodings(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  try {
    forms.add(btoa(secret));
    forms.add(btoa(secret).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""));
  } catch {
    // Not Latin-1: no base64 form to look for.
  }
  return [...forms];
}

/**
 * Three 16-character windows (start, middle, end) of a secret of 24 characters or more: a leak
 * of most of a secret (a prefix "for debugging", a cut log line) holds one of them.
 */
function windows(secret: string): string[] {
  if (secret.length < 24) return [];
  const middle = Math.floor((secret.length - 16) / 2);
  return [secret.slice(0, 16), secret.slice(middle, middle + 16), secret.slice(-16)];
}

/** Collects secrets and scans texts for them. */
export class SecretScanner {
  readonly #secrets = new Map<string, string>();
  readonly #leaks: Leak[] = [];
  #texts = 0;
  #chars = 0;

  /**
   * Adds a secret to look for, with a label to report it by (the value is never reported).
   *
   * @throws {RangeError} When the secret is shorter than 8 characters: too short to scan for
   * without false alarms, and too short to be a real secret of this project.
   */
  add(label: string, secret: string): void {
    if (secret.length < 8) {
      throw new RangeError(`Secret "${label}" is too short to scan for: ${secret.length} chars`);
    }
    for (const form of [...encodings(secret), ...windows(secret)]) {
      if (!this.#secrets.has(form)) this.#secrets.set(form, label);
    }
  }

  /** Scans one text; returns whether it was clean. */
  scan(text: string, where: string): boolean {
    this.#texts++;
    this.#chars += text.length;
    let clean = true;
    for (const [form, label] of this.#secrets) {
      if (text.includes(form)) {
        clean = false;
        if (this.#leaks.length < 100) this.#leaks.push({ secret: label, where });
      }
    }
    return clean;
  }

  /** Scans a response's status line and headers (not its body). */
  scanHeaders(response: Response, where: string): boolean {
    const block = [`${response.status} ${response.statusText}`]
      .concat([...response.headers].map(([name, value]) => `${name}: ${value}`))
      .join("\n");
    return this.scan(block, `headers of ${where}`);
  }

  /** What was scanned and found so far. */
  figures(): ScanFigures {
    return {
      texts: this.#texts,
      chars: this.#chars,
      secrets: this.#secrets.size,
      leaks: [...this.#leaks],
    };
  }
}
