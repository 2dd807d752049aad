import { createTestMysqlDatabase } from '../../helpers/db';

describe('createTestMysqlDatabase', () => {
  const saved = process.env.TEST_MYSQL_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEST_MYSQL_URL;
    else process.env.TEST_MYSQL_URL = saved;
  });

  it('fails with a clear error when TEST_MYSQL_URL is unset', async () => {
    delete process.env.TEST_MYSQL_URL;

    await expect(createTestMysqlDatabase()).rejects.toThrow(/TEST_MYSQL_URL is not set/);
  });

  it('fails with a clear error when the server cannot be reached', async () => {
    process.env.TEST_MYSQL_URL = 'mysql://root@127.0.0.1:1';

    await expect(createTestMysqlDatabase()).rejects.toThrow(
      /cannot reach the MariaDB server at TEST_MYSQL_URL/,
    );
  });
});
