// Local ESLint rules that hold warroom's architecture (docs/lint-boundaries.md).
//
//   warroom/layers          what each folder of src/ may import, for every import form
//   warroom/no-process-env  process.env is read in src/config only
//
// Plain JavaScript so ESLint loads it without a TypeScript loader. The layer of a file and of an
// import target is decided by resolving the path against src/, so `../adapters/x` from src/app and
// `../../adapters/x` from src/domain/sub are the same violation.
import { isBuiltin } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

const DOCS = 'docs/lint-boundaries.md';

/**
 * Layer → what it may import. `layers`: folders of src/ (`root` = the files directly in src/:
 * the composition root server.ts / main.ts and logger.ts). `packages`: npm packages, `'*'` for any.
 * Node built-ins (`node:*`) are allowed everywhere, except node:module in layers that list their
 * packages (it loads modules at run time, past this rule).
 */
export const LAYERS = {
  domain: { layers: ['domain'], packages: ['luxon'] },
  // zod: the job catalog's payload schemas (pure validation, no I/O).
  app: { layers: ['app', 'domain'], packages: ['luxon', 'zod'] },
  config: { layers: ['config', 'domain'], packages: '*' },
  http: { layers: ['http', 'app', 'domain'], packages: '*' },
  adapters: { layers: ['adapters', 'app', 'domain'], packages: '*' },
  sandbox: { layers: ['sandbox'], packages: '*' },
  root: { layers: ['root', 'config', 'domain', 'app', 'adapters', 'http'], packages: '*' },
};

const RUNTIME_LOADERS = new Set(['module', 'node:module']);

/** The layer of a path relative to src/ ('domain/x.ts' → 'domain', 'server.ts' → 'root'). */
function layerOf(relToSrc) {
  const parts = relToSrc.split(sep);
  if (parts.length === 1) return 'root';
  return Object.hasOwn(LAYERS, parts[0]) ? parts[0] : undefined;
}

/** 'ioredis' → 'ioredis', '@slack/bolt/x' → '@slack/bolt', 'drizzle-orm/pg-core' → 'drizzle-orm'. */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function describeAllowed(rule) {
  const folders = rule.layers.map((l) => (l === 'root' ? 'src/*.ts' : `src/${l}`));
  const packages = rule.packages === '*' ? ['any package'] : rule.packages;
  return [...folders, ...packages, 'node built-ins'].join(', ');
}

/** The string a module specifier node stands for, or undefined when it is computed at run time. */
function literalSpecifier(node) {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
  if (node.type === 'TSLiteralType') return literalSpecifier(node.literal);
  return undefined;
}

const layers = {
  meta: {
    type: 'problem',
    docs: { description: `what each folder of src/ may import (${DOCS})` },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, required: ['srcDir'], additionalProperties: false }],
    messages: {
      forbidden: "src/{{layer}} must not import {{target}} ('{{spec}}'); it may import {{allowed}}. See " + DOCS + '.',
      outside: "src/{{layer}} must not import '{{spec}}': it is outside src/. See " + DOCS + '.',
      computed: 'src/{{layer}}: {{form}} with a computed specifier cannot be checked; use a string literal. See ' + DOCS + '.',
    },
  },
  create(context) {
    const srcDir = resolve(context.options[0].srcDir);
    const file = resolve(context.filename);
    const fromRel = relative(srcDir, file);
    if (fromRel.startsWith('..') || fromRel === file) return {};
    const layer = layerOf(fromRel);
    if (!layer) return {};
    const rule = LAYERS[layer];

    function check(node, spec) {
      const report = (messageId, data) =>
        context.report({ node, messageId, data: { layer: layer === 'root' ? '*.ts' : layer, spec, ...data } });
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:')) {
        const target = spec.startsWith('file:') ? new URL(spec).pathname : resolve(dirname(file), spec);
        const toRel = relative(srcDir, target);
        if (toRel.startsWith('..') || resolve(srcDir, toRel) !== target) return report('outside');
        const targetLayer = layerOf(toRel);
        if (!targetLayer || !rule.layers.includes(targetLayer)) {
          const where = targetLayer === 'root' ? 'src/' + toRel : `src/${targetLayer ?? toRel.split(sep)[0]}`;
          report('forbidden', { target: where, allowed: describeAllowed(rule) });
        }
        return;
      }
      if (isBuiltin(spec)) {
        if (rule.packages !== '*' && RUNTIME_LOADERS.has(spec)) {
          report('forbidden', { target: `the module loader ${spec}`, allowed: describeAllowed(rule) });
        }
        return;
      }
      if (rule.packages !== '*' && !rule.packages.includes(packageName(spec))) {
        report('forbidden', { target: `the package ${packageName(spec)}`, allowed: describeAllowed(rule) });
      }
    }

    function checkSource(node, sourceNode, form) {
      const spec = literalSpecifier(sourceNode);
      if (spec === undefined) {
        context.report({ node, messageId: 'computed', data: { layer: layer === 'root' ? '*.ts' : layer, form } });
      } else {
        check(sourceNode, spec);
      }
    }

    return {
      ImportDeclaration: (node) => checkSource(node, node.source, 'import'),
      ExportNamedDeclaration: (node) => node.source && checkSource(node, node.source, 'export … from'),
      ExportAllDeclaration: (node) => checkSource(node, node.source, 'export * from'),
      ImportExpression: (node) => checkSource(node, node.source, 'import()'),
      TSImportType: (node) => checkSource(node, node.source ?? node.argument, "import('…') type"),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' &&
        checkSource(node, node.moduleReference.expression, 'import = require()'),
      CallExpression(node) {
        const callee = node.callee;
        const isRequire =
          (callee.type === 'Identifier' && callee.name === 'require') ||
          (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'require' &&
            callee.property.type === 'Identifier' && callee.property.name === 'resolve');
        if (isRequire) checkSource(node, node.arguments[0], 'require()');
      },
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const m = comment.type === 'Line' && /^\/\s*<reference\s+(?:types|path)\s*=\s*["']([^"']+)["']/.exec(comment.value);
          if (m) check(comment, m[1]);
        }
      },
    };
  },
};

const PROCESS_MODULES = new Set(['process', 'node:process']);

const noProcessEnv = {
  meta: {
    type: 'problem',
    docs: { description: 'process.env is read in src/config only' },
    schema: [],
    messages: {
      env: 'process.env is read only in src/config: take the value from the parsed configuration instead. See ' + DOCS + '.',
    },
  },
  create(context) {
    // Local names bound to the process object by `import process from 'node:process'` and the like.
    const processNames = new Set(['process']);
    const isEnvKey = (key, computed) =>
      (!computed && key.type === 'Identifier' && key.name === 'env') || (key.type === 'Literal' && key.value === 'env');
    const isProcess = (node) =>
      (node.type === 'Identifier' && processNames.has(node.name)) ||
      (node.type === 'MemberExpression' && !node.computed && node.property.type === 'Identifier' && node.property.name === 'process');
    return {
      ImportDeclaration(node) {
        if (!PROCESS_MODULES.has(node.source.value)) return;
        for (const s of node.specifiers) {
          if (s.type === 'ImportSpecifier' && (s.imported.name ?? s.imported.value) === 'env') context.report({ node: s, messageId: 'env' });
          else if (s.type !== 'ImportSpecifier') processNames.add(s.local.name);
        }
      },
      MemberExpression(node) {
        if (isProcess(node.object) && isEnvKey(node.property, node.computed)) context.report({ node, messageId: 'env' });
      },
      VariableDeclarator(node) {
        if (node.id.type !== 'ObjectPattern' || !node.init || !isProcess(node.init)) return;
        for (const p of node.id.properties) {
          if (p.type === 'Property' && isEnvKey(p.key, p.computed)) context.report({ node: p, messageId: 'env' });
        }
      },
    };
  },
};

export default {
  meta: { name: 'warroom' },
  rules: { layers, 'no-process-env': noProcessEnv },
};
