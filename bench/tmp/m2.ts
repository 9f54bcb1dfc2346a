import '../../src/server.js';
console.log('tsx + src/server.ts imported', (process.memoryUsage().rss/1048576).toFixed(1), 'heap', (process.memoryUsage().heapUsed/1048576).toFixed(1));
