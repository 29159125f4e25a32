import { describe, expect, it } from "vitest";
import { sparkline } from "./sparkline.ts";

describe("sparkline", () => {
  it("draws every week as one line scaled to its own range, ending in a dot", () => {
    const model = sparkline([0.2, 0.4, 0.3], "vscode", 100, 20);
    expect(model.path).toBe("M3.0,17.0L50.0,3.0L97.0,10.0");
    expect(model.last?.x).toBe(97);
    expect(model.last?.y).toBeCloseTo(10, 9);
    expect(model.label).toBe("vscode: 20.0% to 30.0% over 3 weeks");
  });

  it("breaks the line at a week with no share, and says how many weeks have one", () => {
    const model = sparkline([0.2, null, 0.4, 0.3, null], "vscode", 100, 20);
    // The first week stands alone: a dot, drawn by its zero-length segment's round cap.
    expect(model.path).toBe("M3.0,17.0h0M50.0,3.0L73.5,10.0");
    expect(model.last?.x).toBe(73.5);
    expect(model.last?.y).toBeCloseTo(10, 9);
    expect(model.label).toBe("vscode: 20.0% to 30.0% over 3 of 5 weeks; no reports in the latest week");
  });

  it("draws nothing when no week has a share", () => {
    expect(sparkline([null, null], "aix")).toMatchObject({ path: "", last: null, label: "No reports" });
    expect(sparkline([], "aix")).toMatchObject({ path: "", last: null, label: "No weekly data" });
  });
});
