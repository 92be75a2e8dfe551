/**
 * What an iteration order says: the field it pages by and its direction.
 *
 * @module
 */

import type { Order } from "./wire.ts";

/** Whether an order runs from the largest key down (`-id`, `-created`). */
export function isDescending(order: Order): boolean {
  return order.startsWith("-");
}

/** Whether an order pages by `id` (else by `created`, ties by `id`). */
export function ordersById(order: Order): boolean {
  return order === "id" || order === "-id";
}

/** The same field in the other direction. */
export function reversed(order: Order): Order {
  switch (order) {
    case "id":
      return "-id";
    case "-id":
      return "id";
    case "created":
      return "-created";
    case "-created":
      return "created";
  }
}
