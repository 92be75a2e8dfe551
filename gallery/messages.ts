/**
 * Failures as plain sentences for people, never a blank page or a stack trace.
 *
 * @module
 */

import {
  TolokaApiError,
  TolokaNetworkError,
  TolokaResponseError,
  TolokaTimeoutError,
} from "../mod.ts";

/** One sentence saying what went wrong and what to do about it. */
export function describeFailure(error: unknown): string {
  if (error instanceof TolokaApiError) {
    switch (error.status) {
      case 401:
        return "This API key was not accepted: it is unknown, revoked or expired. Check the key and try again.";
      case 403:
        return "This API key has no access to that pool or assignment.";
      case 404:
        return "That attachment does not exist, or this key cannot see it.";
      case 400:
        return `The search is not valid: ${fieldsOf(error.payload) || error.message}.`;
      case 429:
        return "Too many requests for this key right now. Wait a minute and try again.";
      case 502:
      case 503:
      case 504:
        return "Toloka is not answering right now (the upstream is down). Try again in a moment.";
    }
    return `The server answered with an error (${error.status} ${error.code}). Try again later.`;
  }
  if (error instanceof TolokaTimeoutError) return "The server took too long to answer. Try again.";
  if (error instanceof TolokaNetworkError) {
    return "The edge server cannot be reached. Check your connection.";
  }
  if (error instanceof TolokaResponseError) {
    return "The server sent an answer this page cannot read.";
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    return `The search is not valid: ${error.message}`;
  }
  return "Something went wrong. Reload the page and try again.";
}

function fieldsOf(payload: unknown): string {
  if (typeof payload !== "object" || payload === null) return "";
  return Object.keys(payload).join(", ");
}
