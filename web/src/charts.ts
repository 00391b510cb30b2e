// Charts drawn in the page as SVG: no library, no images. Each chart has a title and a description
// for screen readers, and its figures are in a table beside it.
const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

export interface Bar {
  label: string;
  /** The bar's height, in the chart's unit. */
  value: number;
  /** An interval drawn as a whisker (e.g. the positive rate's 95% interval). */
  low?: number;
  high?: number;
  /** Shown on hover and read by screen readers. */
  title: string;
}

/** A bar chart with an optional interval per bar; max is the axis's top (1 for a rate). */
export function barChart(title: string, bars: Bar[], max: number, format: (v: number) => string, ticks = [0, max / 2, max]): SVGSVGElement {
  const width = 560;
  const height = 200;
  const left = 56;
  const bottom = 36;
  const top = 10;
  const plotHeight = height - bottom - top;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart" });
  chart.append(svg("title", {}, title));
  chart.append(svg("desc", {}, bars.map((b) => b.title).join("; ") || "no data"));
  const y = (v: number) => top + plotHeight - (Math.min(v, max) / (max || 1)) * plotHeight;
  for (const tick of ticks) {
    chart.append(svg("line", { x1: left, x2: width, y1: y(tick), y2: y(tick), class: "grid" }));
    chart.append(svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, format(tick)));
  }
  if (!bars.length) {
    chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "axis" }, "no data yet"));
    return chart;
  }
  const slot = (width - left) / bars.length;
  const barWidth = Math.max(4, Math.min(48, slot * 0.6));
  bars.forEach((bar, i) => {
    const x = left + slot * i + (slot - barWidth) / 2;
    const rect = svg("rect", { x, y: y(bar.value), width: barWidth, height: y(0) - y(bar.value), class: "bar" });
    rect.append(svg("title", {}, bar.title));
    chart.append(rect);
    if (bar.low !== undefined && bar.high !== undefined) {
      const cx = x + barWidth / 2;
      chart.append(svg("line", { x1: cx, x2: cx, y1: y(bar.low), y2: y(bar.high), class: "whisker" }));
      chart.append(svg("line", { x1: cx - 5, x2: cx + 5, y1: y(bar.low), y2: y(bar.low), class: "whisker" }));
      chart.append(svg("line", { x1: cx - 5, x2: cx + 5, y1: y(bar.high), y2: y(bar.high), class: "whisker" }));
    }
    if (bars.length <= 24 || i % Math.ceil(bars.length / 12) === 0) {
      chart.append(svg("text", { x: x + barWidth / 2, y: height - bottom + 16, "text-anchor": "middle", class: "axis" }, bar.label));
    }
  });
  return chart;
}
