// A node:test reporter for scripts/test.mjs --coverage: the coverage summary's lines per file as
// JSON ({path, total, covered: [line numbers run]}), for the tiers' reports to be merged.
export default async function* coverageLines(source) {
  for await (const event of source) {
    if (event.type !== 'test:coverage') continue;
    const files = event.data.summary.files.map((f) => ({
      path: f.path,
      total: f.totalLineCount,
      covered: f.lines.filter((l) => l.count > 0).map((l) => l.line),
    }));
    yield JSON.stringify(files) + '\n';
  }
}
