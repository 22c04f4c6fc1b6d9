// Run the vendored axe-core on the page: a line per node of a serious or critical violation.
async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  const lines = [];
  for (const v of result.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    for (const node of v.nodes) lines.push(`axe ${v.id} (${v.impact}): ${node.target.join(' ')} ${node.failureSummary.split('\n').slice(1, 2).join('').trim()}`);
  }
  return lines;
}
