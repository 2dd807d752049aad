// @ts-check
/**
 * Jest environment for the RPC integration suites: records every unhandled promise rejection of
 * the real process (a test file's own `process.on` only sees jest's sandboxed copy, which Node never
 * notifies) and exposes the list as `globalThis.__unhandledRejections`, so a suite can assert that
 * nothing it did produced one.
 */
const { TestEnvironment } = require('jest-environment-node');

class UnhandledRejectionEnvironment extends TestEnvironment {
  /** @param {ConstructorParameters<typeof TestEnvironment>} args */
  constructor(...args) {
    super(...args);
    /** @type {unknown[]} */
    this.rejections = [];
    /** @param {unknown} reason */
    this.onRejection = (reason) => {
      this.rejections.push(reason);
    };
    this.global.__unhandledRejections = this.rejections;
  }

  /**
   * jest-circus replaces the process's rejection listeners when the run starts, so ours is added
   * right after that.
   * @param {{ name: string }} event
   */
  handleTestEvent(event) {
    if (event.name === 'run_start') process.on('unhandledRejection', this.onRejection);
  }

  async teardown() {
    process.off('unhandledRejection', this.onRejection);
    await super.teardown();
  }
}

module.exports = UnhandledRejectionEnvironment;
