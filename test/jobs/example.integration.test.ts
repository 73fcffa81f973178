// The example project (examples/shop) runs and gives the rows its README shows.
import { describe, expect, it } from "vitest";
import schema from "../../examples/shop/init/01_schema.sql?raw";
import customers from "../../examples/shop/seed/01_customers.sql?raw";
import orders from "../../examples/shop/seed/02_orders.sql?raw";
import manifest from "../../examples/shop/sql-runner.json?raw";
import perMonth from "../../examples/shop/test/orders_per_month.sql?raw";
import top from "../../examples/shop/test/top_customers.sql?raw";
import { runToEnd } from "./helpers.ts";

const tree = {
  "sql-runner.json": manifest,
  "init/01_schema.sql": schema,
  "seed/01_customers.sql": customers,
  "seed/02_orders.sql": orders,
  "test/top_customers.sql": top,
  "test/orders_per_month.sql": perMonth,
};

describe("examples/shop", () => {
  it("answers both heads as its README says", async () => {
    const first = await runToEnd({
      project_tree: tree,
      head_path: "test/top_customers.sql",
      variables: { min_total: "100" },
    });
    expect(first.error).toBeNull();
    expect(first.result?.sets[0]?.rows).toEqual([
      ["Grace", "New York", "352.25", "2"],
      ["Ada", "London", "200.50", "2"],
    ]);
    expect(first.logs.some((l) => l.data.message === "loading orders")).toBe(true);
    const second = await runToEnd({ project_tree: tree, head_path: "test/orders_per_month.sql" });
    expect(second.snapshot).toMatchObject({ hit: true, reused_steps: 3 });
    expect(second.result?.sets[0]?.rows).toEqual([
      ["2024-01", "1", "120.50"],
      ["2024-02", "2", "390.25"],
      ["2024-03", "2", "57.75"],
    ]);
  });
});
