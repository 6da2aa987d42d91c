import { barChart, lineChart, memorySeries, renderHtmlReport, renderReportFile, renderSvgReport } from '../../../src/bench/html-report';
import { pipeline, report } from './report-fixture';

/** The `d` attribute of each drawn series, by its name. */
function paths(svg: string): Map<string, string> {
  return new Map([...svg.matchAll(/<path d="([^"]+)"[^>]*data-series="([^"]+)"/g)].map((m) => [m[2], m[1]]));
}

describe('bench report drawing', () => {
  test('the HTML file is self-contained: inline SVG and style, no script, nothing fetched', () => {
    const html = renderHtmlReport(report([pipeline(1), pipeline(2)]));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=|href=/i);
    // Only the SVG namespace is a URL, and nothing loads it.
    for (const u of html.matchAll(/https?:\/\/[^"\s]+/g)) expect(u[0]).toBe('http://www.w3.org/2000/svg');
  });

  test('draws the stage timings, the threads scan and the memory curves of every run', () => {
    const html = renderHtmlReport(report([pipeline(1), pipeline(2)]));
    expect(html).toContain('Pipeline stages');
    for (const stage of ['capture', 'wait', 'preprocess', 'inference', 'postprocess', 'publish', 'total', 'age']) expect(html).toContain(`>${stage}</text>`);
    expect(html).toContain('Threads scan: bare session.run throughput');
    expect(html).toContain('>2 threads</text>');
    expect(html).toContain('Memory over time, main pipeline run');
    expect(html).toContain('Memory over time, memory run, 2 camera(s)');
    const series = paths(html);
    expect([...series.keys()]).toEqual(
      expect.arrayContaining(['PSS, all processes', 'PSS, daemon 1000', 'PSS, capture 2000', 'PSS, capture 2001', 'RSS, daemon']),
    );
  });

  test('the memory curve follows the samples: a growing daemon draws a rising line', () => {
    const rising = memorySeries(pipeline(1, (t) => 250 + t));
    const total = rising.find((s) => s.name === 'PSS, all processes')!;
    expect(total.points[0]).toEqual([-10, 330]);
    expect(total.points[total.points.length - 1]).toEqual([100, 440]);
    const svg = lineChart('m', rising, 's', 'MB');
    const d = paths(svg).get('PSS, all processes')!;
    const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys.length).toBe(total.points.length);
    // SVG y grows downwards: a rising line has falling y.
    expect(ys[ys.length - 1]).toBeLessThan(ys[0]);
  });

  test('bars are as tall as their values, and text is escaped', () => {
    const svg = barChart(
      'a <b> & c',
      [
        { label: 'x', value: 10 },
        { label: 'y', value: 20, mark: 25 },
      ],
      'ms',
    );
    const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights[1] / heights[0]).toBeCloseTo(2, 1);
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expect(svg).toContain('class="mark"');
    expect(renderHtmlReport(report())).toContain('Test CPU &lt;fast&gt; &amp; cheap');
  });

  test('.svg gets one SVG document with every chart stacked; anything else gets HTML', () => {
    const r = report([pipeline(1)]);
    const svg = renderReportFile(r, '/tmp/r.SVG');
    expect(svg).toBe(renderSvgReport(r));
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<g transform="translate\(0 \d+\)">/g)?.length).toBe(6);
    expect(renderReportFile(r, '/tmp/r.html').startsWith('<!doctype html>')).toBe(true);
  });
});
