import { startPostgres } from '../test/helpers/pglite.js';
import { startRedis } from '../test/helpers/redis.js';
const pg = await startPostgres();
const redis = (await startRedis())!;
console.log(JSON.stringify({ pg: pg.url, redis: redis.url }));
process.on('SIGTERM', async () => { await pg.stop(); await redis.stop(); process.exit(0); });
setInterval(() => {}, 1 << 30);
