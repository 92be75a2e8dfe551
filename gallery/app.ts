/// <reference lib="dom" />
/**
 * The gallery page's script: our own core client, bundled for the browser, pointed at the Worker
 * that serves the page. Everything from the API is rendered as text (`textContent`), images are
 * fetched with the `Authorization` header and shown through object URLs (an `<img src>` cannot
 * carry the header), and every object URL is revoked when its card leaves the page.
 *
 * @module
 */

import {
  type Attachment,
  type AttachmentFilter,
  AttachmentsClient,
  type Order,
  TolokaApiError,
} from "../mod.ts";
import { splitExport } from "./export_follow.ts";
import { type ExportJob, jobEnded, jobProgress } from "./export_job.ts";
import { describeFailure } from "./messages.ts";

const KEY_STORAGE = "toloka-edge.key";
const PAGE_SIZE = 48;
const THUMBNAIL_CONCURRENCY = 4;

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector<T>(selector)!;
const form = $<HTMLFormElement>("#search");
const grid = $<HTMLElement>("#grid");
const status = $<HTMLElement>("#status");
const more = $<HTMLElement>("#more");
const exportsBar = $<HTMLElement>("#exports");
const detail = $<HTMLElement>("#detail");

/** One listing in progress: replaced as a whole by the next search. */
interface Session {
  client: AttachmentsClient;
  key: string;
  filter: AttachmentFilter;
  order: Order;
  pages: AsyncIterator<{ items: Attachment[]; has_more: boolean }>;
  controller: AbortController;
  seen: Set<string>;
  objectUrls: Set<string>;
  loading: boolean;
  done: boolean;
}

let session: Session | undefined;
let selected: Attachment | undefined;

// --- search ---------------------------------------------------------------------------------

form.key.value = sessionStorage.getItem(KEY_STORAGE) ?? "";
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void start();
});

function field(name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
}

async function start(): Promise<void> {
  end();
  const key = field("key");
  if (!key) return showError("Paste an API key first.");
  sessionStorage.setItem(KEY_STORAGE, key);
  const filter: Record<string, string> = {};
  for (const name of ["pool_id", "assignment_id", "user_id", "name"]) {
    const value = field(name);
    if (value) filter[name] = value;
  }
  for (const name of ["created_gte", "created_lte"]) {
    const value = field(name);
    // datetime-local has no zone; the form says UTC, and the API reads UTC without an offset.
    if (value) filter[name] = value.length === 16 ? `${value}:00` : value;
  }
  if (!filter.pool_id && !filter.assignment_id) {
    return showError("Enter a pool id or an assignment id.");
  }
  const client = new AttachmentsClient({
    token: `OAuth ${key}`,
    baseUrl: `${location.origin}/api/v1`,
  });
  const order = field("order") as Order;
  const controller = new AbortController();
  let pages;
  try {
    pages = client.getAttachmentPages(filter, {
      order,
      batchSize: PAGE_SIZE,
      signal: controller.signal,
    });
  } catch (error) {
    return showError(describeFailure(error));
  }
  session = {
    client,
    key,
    filter,
    order,
    pages: pages[Symbol.asyncIterator](),
    controller,
    seen: new Set(),
    objectUrls: new Set(),
    loading: false,
    done: false,
  };
  exportsBar.hidden = false;
  setStatus("Loading…");
  await loadMore(session);
}

/** Stops the current listing and frees everything it holds. */
function end(): void {
  if (!session) return;
  session.controller.abort();
  for (const url of session.objectUrls) URL.revokeObjectURL(url);
  session = undefined;
  grid.replaceChildren();
  closeDetail();
  exportsBar.hidden = true;
}

async function loadMore(current: Session): Promise<void> {
  if (current.loading || current.done) return;
  current.loading = true;
  try {
    const next = await current.pages.next();
    if (session !== current) return;
    if (next.done) {
      current.done = true;
    } else {
      for (const item of next.value.items) {
        if (current.seen.has(item.id)) continue; // the client never repeats one; stay safe anyway
        current.seen.add(item.id);
        grid.append(card(current, item));
      }
    }
    const count = current.seen.size;
    setStatus(
      current.done
        ? `${count} attachment${count === 1 ? "" : "s"}.`
        : `${count} attachments so far; scroll for more.`,
    );
  } catch (error) {
    if (session === current && !current.controller.signal.aborted) {
      current.done = true;
      showError(describeFailure(error));
    }
  } finally {
    current.loading = false;
  }
  // A tall screen may show the sentinel again at once: keep filling it.
  if (session === current && !current.done && isVisible(more)) void loadMore(current);
}

new IntersectionObserver((entries) => {
  if (session && entries.some((e) => e.isIntersecting)) void loadMore(session);
}, { rootMargin: "400px" }).observe(more);
// The observer reports changes only: a sentinel that came into view while a page was loading
// (and was ignored then) reports nothing more. Scrolling checks again.
addEventListener("scroll", () => {
  if (session && !session.done && isVisible(more)) void loadMore(session);
}, { passive: true });

function isVisible(element: HTMLElement): boolean {
  return element.getBoundingClientRect().top < innerHeight + 400;
}

// --- cards ----------------------------------------------------------------------------------

function card(current: Session, item: Attachment): HTMLElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "card";
  button.dataset.id = item.id;
  const thumb = document.createElement("div");
  thumb.className = "thumb";
  thumb.textContent = iconFor(item.media_type ?? "");
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.append(
    text("div", "name", item.name === undefined || item.name === "" ? "(no name)" : item.name),
    text("div", "sub", item.details?.user_id ?? "unknown Toloker"),
    text("div", "sub", item.created.toISOString().replace("T", " ").slice(0, 19) + " UTC"),
  );
  button.append(thumb, meta);
  button.addEventListener("click", () => openDetail(item));
  if (item.media_type?.startsWith("image/")) thumbnails.observe(thumb, current, item.id);
  return button;
}

function text(tag: string, className: string, value: string): HTMLElement {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = value;
  return element;
}

/** A short label for a file that is not shown as an image (emoji need fonts a page cannot assume). */
function iconFor(mediaType: string): string {
  if (mediaType.startsWith("image/")) return "IMAGE";
  if (mediaType.startsWith("audio/")) return "AUDIO";
  if (mediaType.startsWith("video/")) return "VIDEO";
  if (mediaType === "application/pdf") return "PDF";
  if (mediaType.startsWith("text/")) return "TEXT";
  return "FILE";
}

/** Thumbnails load when their card comes near the screen, a few at a time. */
const thumbnails = (() => {
  const pending = new Map<Element, { current: Session; id: string }>();
  const queue: Array<() => Promise<void>> = [];
  let running = 0;
  const pump = (): void => {
    while (running < THUMBNAIL_CONCURRENCY && queue.length) {
      running++;
      void queue.shift()!().finally(() => {
        running--;
        pump();
      });
    }
  };
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const job = pending.get(entry.target);
      if (!entry.isIntersecting || !job) continue;
      pending.delete(entry.target);
      observer.unobserve(entry.target);
      queue.push(() => loadThumbnail(entry.target as HTMLElement, job.current, job.id));
    }
    pump();
  }, { rootMargin: "200px" });
  return {
    observe(element: HTMLElement, current: Session, id: string): void {
      pending.set(element, { current, id });
      observer.observe(element);
    },
  };
})();

async function loadThumbnail(thumb: HTMLElement, current: Session, id: string): Promise<void> {
  if (session !== current) return;
  try {
    const url = await objectUrlOf(current, id);
    if (session !== current) return URL.revokeObjectURL(url);
    const img = document.createElement("img");
    img.alt = "";
    img.src = url;
    thumb.replaceChildren(img);
  } catch {
    thumb.textContent = "NO PREVIEW";
    thumb.title = "The thumbnail could not be loaded.";
  }
}

async function objectUrlOf(current: Session, id: string): Promise<string> {
  const download = await current.client.downloadAttachment(id, {
    signal: current.controller.signal,
  });
  const blob = await new Response(download.body).blob();
  const url = URL.createObjectURL(new Blob([blob], { type: download.mediaType }));
  current.objectUrls.add(url);
  return url;
}

// --- detail panel ---------------------------------------------------------------------------

function openDetail(item: Attachment): void {
  selected = item;
  $("#detail-name").textContent = item.name || "(no name)";
  const list = $("#detail-fields");
  list.replaceChildren();
  const { id, name: _, created, details, owner, ...rest } = item;
  const rows: [string, unknown][] = [
    ["id", id],
    ["uploaded", created.toISOString()],
    ["pool", details?.pool_id],
    ["assignment", details?.assignment_id],
    ["Toloker", details?.user_id],
    ["owner", owner?.id],
    ["company", owner?.company_id],
    ...Object.entries(rest),
  ];
  for (const [label, value] of rows) {
    if (value === undefined) continue;
    list.append(
      text("dt", "", label),
      text("dd", "", typeof value === "string" ? value : JSON.stringify(value)),
    );
  }
  detail.hidden = false;
}

function closeDetail(): void {
  selected = undefined;
  detail.hidden = true;
}

$("#close").addEventListener("click", closeDetail);
$("#download").addEventListener("click", async () => {
  const current = session;
  const item = selected;
  if (!current || !item) return;
  try {
    const url = await objectUrlOf(current, item.id);
    save(url, item.name || item.id);
  } catch (error) {
    showError(describeFailure(error));
  }
});

for (const button of exportsBar.querySelectorAll<HTMLButtonElement>("button[data-format]")) {
  button.addEventListener("click", async () => {
    const current = session;
    if (!current) return;
    const format = button.dataset.format!;
    const query = new URLSearchParams({
      ...current.filter as Record<string, string>,
      sort: current.order,
    });
    try {
      const url = URL.createObjectURL(await exportAll(current, format, query));
      current.objectUrls.add(url);
      save(url, `attachments.${format}`);
    } catch (error) {
      showError(describeFailure(error));
    }
  });
}

/** Failed parts retried from their `next` in a row before the export gives up. */
const EXPORT_RETRIES = 3;

/**
 * The whole export as one file: every response of the chain, following each `next` until a
 * response has none (each holds what one Worker invocation's subrequest budget allows).
 */
async function exportAll(current: Session, format: string, query: URLSearchParams): Promise<Blob> {
  const kind = format === "csv" ? "csv" : "ndjson";
  const parts: string[] = [];
  let path: string | undefined = `/api/v1/attachments.${kind}?${query}`;
  let failures = 0;
  while (path !== undefined) {
    setStatus(`Exporting… part ${parts.length + 1}`);
    const response = await fetch(path, {
      headers: { Authorization: `OAuth ${current.key}` },
      signal: current.controller.signal,
    });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new TolokaApiError({
        status: response.status,
        code: body?.code ?? `HTTP_${response.status}`,
        message: body?.message ?? response.statusText,
      });
    }
    const part = splitExport(kind, await response.text(), parts.length === 0);
    parts.push(part.data);
    if (part.error) {
      if (++failures > EXPORT_RETRIES || part.next === undefined) {
        throw new TolokaApiError({
          status: 502,
          code: part.error.code,
          message: part.error.message,
        });
      }
    } else {
      failures = 0;
    }
    path = part.next;
  }
  setStatus(`Exported ${parts.length} part${parts.length === 1 ? "" : "s"} into one file.`);
  return new Blob(parts, { type: format === "csv" ? "text/csv" : "application/x-ndjson" });
}

// --- export jobs ----------------------------------------------------------------------------

/** How often a running job is looked at. */
const JOB_POLL_MS = 1_000;
const cancelJob = $<HTMLButtonElement>("#cancel-job");
/** The job this page is following, if any. */
let followed: { id: string; key: string; stop: AbortController } | undefined;

for (const button of exportsBar.querySelectorAll<HTMLButtonElement>("button[data-job]")) {
  button.addEventListener("click", () => {
    const current = session;
    if (current) void runJob(current, button.dataset.job!);
  });
}

cancelJob.addEventListener("click", async () => {
  const job = followed;
  if (!job) return;
  job.stop.abort();
  try {
    await jobRequest(job.key, "DELETE", `/api/v1/exports/${encodeURIComponent(job.id)}`);
    setStatus("The export was cancelled.");
  } catch (error) {
    showError(describeFailure(error));
  }
});

/** Sends one request of the export-job API with the page's key; Toloka's error body on failure. */
async function jobRequest(
  key: string,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<ExportJob | undefined> {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: `OAuth ${key}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  if (!response.ok) {
    const error = await response.json().catch(() => null);
    throw new TolokaApiError({
      status: response.status,
      code: error?.code ?? `HTTP_${response.status}`,
      message: error?.message ?? response.statusText,
      payload: error?.payload ?? null,
    });
  }
  return response.status === 204 ? undefined : await response.json() as ExportJob;
}

/**
 * Starts an export job of the current selection, follows its progress, and downloads the result
 * through its signed link when it is complete.
 */
async function runJob(current: Session, format: string): Promise<void> {
  followed?.stop.abort();
  const stop = new AbortController();
  try {
    let job = (await jobRequest(current.key, "POST", "/api/v1/exports", {
      filter: current.filter,
      order: current.order,
      format,
    }))!;
    followed = { id: job.id, key: current.key, stop };
    cancelJob.hidden = false;
    while (!jobEnded(job)) {
      setStatus(jobProgress(job));
      await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
      if (stop.signal.aborted) return;
      job = (await jobRequest(
        current.key,
        "GET",
        `/api/v1/exports/${encodeURIComponent(job.id)}`,
        undefined,
        stop.signal,
      ))!;
    }
    if (job.status === "failed") return showError(jobProgress(job));
    setStatus(jobProgress(job));
    // A link signed for 15 minutes, just refreshed by the GET above; no header needed.
    if (job.status === "complete" && job.download_url) {
      save(job.download_url, `attachments.${format}`);
    }
  } catch (error) {
    if (!stop.signal.aborted) showError(describeFailure(error));
  } finally {
    if (followed?.stop === stop) {
      followed = undefined;
      cancelJob.hidden = true;
    }
  }
}

function save(url: string, fileName: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
}

// --- status ---------------------------------------------------------------------------------

function setStatus(message: string): void {
  status.className = "";
  status.textContent = message;
}

function showError(message: string): void {
  status.className = "error";
  status.textContent = message;
}
