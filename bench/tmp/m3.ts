import '../run.js';
