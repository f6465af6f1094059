// Prints one closing line (on stderr, after jest's own summary) that any CI can read, whatever
// the runner: "jest: N passed, N failed, N skipped". Skipped and todo tests are counted apart,
// never as passed. With HERALD_TEST_SUMMARY_FILE set, the counts are also appended to that file
// as a JSON line, so `npm test` can add up several jest runs.
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failedSuites = results.numFailedTestSuites + results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + (failedSuites > 0 && results.numFailedTests === 0 ? failedSuites : 0);
    const passed = results.numPassedTests;
    process.stderr.write(`\njest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    if (process.env.HERALD_TEST_SUMMARY_FILE) {
      fs.appendFileSync(process.env.HERALD_TEST_SUMMARY_FILE, `${JSON.stringify({ passed, failed, skipped })}\n`);
    }
  }
}

module.exports = SummaryReporter;
