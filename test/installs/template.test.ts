/** The answer-file template language: every construct, its escaping, and errors that say where. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BerthError } from '../../src/errors.ts';
import { renderTemplate, templateProblems, templateVariables } from '../../src/installs/template/index.ts';

const vars = {
  name: 'n3',
  net: { address: '10.0.0.5', prefix: 24 },
  list: ['a', 'b', 'c'],
  empty: [] as string[],
  blank: '',
  unset: undefined,
  yes: true,
  no: false,
  people: [{ name: 'ann', shell: '/bin/sh' }, { name: 'bob', shell: '/bin/bash' }],
  nasty: `it's <b>&"x"</b> $(reboot)`,
};
const render = (text: string, values: Record<string, unknown> = vars) => renderTemplate(text, values, 'answer.tmpl');

function refused(text: string, message: RegExp, at?: { line: number; column: number }, values: Record<string, unknown> = vars): BerthError {
  try {
    render(text, values);
  } catch (e) {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.code, 'BERTH_CONFIG');
    assert.match(e.message, message);
    assert.equal(e.where.file, 'answer.tmpl');
    if (at) {
      assert.equal(e.where.line, at.line, e.message);
      assert.equal(e.where.column, at.column, e.message);
      assert.ok(e.message.startsWith(`answer.tmpl:${at.line}:${at.column}: `), e.message);
    }
    return e;
  }
  assert.fail(`rendered:\n${text}`);
}

describe('template values', () => {
  test('names and dotted paths', () => {
    assert.equal(render('host {{ name }} at {{net.address}}/{{ net.prefix }}'), 'host n3 at 10.0.0.5/24');
  });

  test('text without tags is left alone, string literals write a literal {{', () => {
    assert.equal(render('plain } { text'), 'plain } { text');
    assert.equal(render('{{ "{{" }} name }}'), '{{ name }}');
    assert.equal(render(`{{ '}}' }}`), '}}');
  });

  test('booleans and numbers are written as text', () => {
    assert.equal(render('{{ yes }} {{ no }} {{ net.prefix }}'), 'true false 24');
  });

  test('comments write nothing, a standalone one takes its line; {{!-- --}} may hold }}', () => {
    assert.equal(render('a{{! note }}b'), 'ab');
    assert.equal(render('a\n  {{! a whole line }}\nb\n'), 'a\nb\n');
    assert.equal(render('a\n{{!-- explains {{ name }} here --}}\nb'), 'a\nb');
    assert.equal(render("{{! don't }}x"), 'x');
  });
});

describe('filters', () => {
  test('xml escapes the five XML characters', () => {
    assert.equal(render('<v a="{{ nasty | xml }}">'), `<v a="it&apos;s &lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt; $(reboot)">`);
  });

  test('json writes a JSON literal that is also a YAML scalar', () => {
    assert.equal(render('{{ nasty | json }}'), JSON.stringify(vars.nasty));
    assert.equal(render('{{ list | json }}'), '["a","b","c"]');
    assert.equal(render('{{ net | json }}'), '{"address":"10.0.0.5","prefix":24}');
    // Characters YAML reads as line breaks or refuses raw are escaped.
    assert.equal(renderTemplate('{{ s | json }}', { s: 'a\u2028b\u0085c\u007f' }, 't'), '"a\\u2028b\\u0085c\\u007f"');
  });

  test('shell single-quotes, so nothing in the value is expanded', () => {
    assert.equal(render('echo {{ nasty | shell }}'), `echo 'it'\\''s <b>&"x"</b> $(reboot)'`);
    assert.equal(render('printf %s {{ list | shell }}'), `printf %s 'a' 'b' 'c'`);
  });

  test('join with a separator; filters chain left to right', () => {
    assert.equal(render('{{ list | join(",") }}'), 'a,b,c');
    assert.equal(render("{{ list | join(' ; ') }}"), 'a ; b ; c');
    assert.equal(render('{{ list | join("\\n") | json }}'), '"a\\nb\\nc"');
    assert.equal(render('{{ list | join(" ") | shell }}'), `'a b c'`);
  });

  test('an unknown filter is an error naming the place and the filters there are', () => {
    refused('line one\n  {{ name | upper }}', /unknown filter 'upper' \(filters: join, json, shell, xml\)/, { line: 2, column: 13 });
  });

  test('wrong arguments and values a filter cannot write', () => {
    refused('{{ list | join }}', /join takes 1 quoted argument/);
    refused('{{ name | xml(",") }}', /xml takes no arguments/);
    refused('{{ list | xml }}', /list: xml takes one value, and this is a list/);
    refused('{{ list | join(x) }}', /quoted strings/);
  });
});

describe('blocks', () => {
  test('if / else: false for empty string, empty list, false and a declared variable without a value', () => {
    const t = (cond: string) => render(`{{#if ${cond}}}T{{else}}F{{/if}}`);
    assert.equal(t('name'), 'T');
    assert.equal(t('list'), 'T');
    assert.equal(t('yes'), 'T');
    assert.equal(t('net'), 'T');
    assert.equal(t('blank'), 'F');
    assert.equal(t('empty'), 'F');
    assert.equal(t('no'), 'F');
    assert.equal(t('unset'), 'F');
    assert.equal(t('unset.field'), 'F', 'a field of a value that is not there is not there either');
    assert.equal(render('{{#unless blank}}U{{/unless}}{{#unless name}}V{{else}}W{{/unless}}'), 'UW');
  });

  test('each: . and this are the item, this.field its fields, @index @first @last where it is', () => {
    assert.equal(render('{{#each list}}[{{ . }}{{ @index }}{{#if @first}}^{{/if}}{{#if @last}}${{/if}}]{{/each}}'), '[a0^][b1][c2$]');
    assert.equal(render('{{#each people}}{{ this.name }}:{{ .shell }} {{/each}}'), 'ann:/bin/sh bob:/bin/bash ');
    assert.equal(render('{{#each empty}}x{{/each}}none'), 'none');
    assert.equal(render('{{#each list}}{{ name }}{{/each}}'), 'n3n3n3', 'names still reach the variables inside a loop');
    assert.equal(render('{{#each people}}{{#each this.name}}{{/each}}{{/each}}', { people: [{ name: ['x'] }] }), '');
  });

  test('filter blocks pass the rendered block through filters: a script inside a JSON string', () => {
    assert.equal(render('{"body": {{#filter json}}echo {{ nasty | shell }}\n{{/filter}}}'), `{"body": ${JSON.stringify(`echo 'it'\\''s <b>&"x"</b> $(reboot)'\n`)}}`);
    assert.equal(render('<s>{{#filter xml}}a < b && {{ name }}{{/filter}}</s>'), '<s>a &lt; b &amp;&amp; n3</s>');
  });

  test('a block tag alone on its line takes the line with it; one sharing a line does not', () => {
    const text = ['a:', '{{#if yes}}', '  b: 1', '  {{#each list}}', '  - {{ . }}', '  {{/each}}', '{{else}}', '  c: 2', '{{/if}}', 'end {{#if yes}}x{{/if}} y', ''].join('\n');
    assert.equal(render(text), 'a:\n  b: 1\n  - a\n  - b\n  - c\nend x y\n');
    assert.equal(render('{{#if yes}}\nfirst line\n{{/if}}'), 'first line\n');
    assert.equal(render('\r\n{{#if yes}}\r\nx\r\n{{/if}}\r\n'), '\r\nx\r\n');
  });
});

describe('errors name the template, line and column', () => {
  test('an unknown variable lists the known ones, not silently empty', () => {
    const e = refused('a\nb {{ nme }}', /unknown variable 'nme' \(known: blank, empty, list, name, nasty, net, no, people, unset, yes\)/, { line: 2, column: 6 });
    assert.equal(e.where.input, 'b {{ nme }}');
  });

  test('an unknown field lists the fields', () => {
    refused('{{ net.adress }}', /'net' has no field 'adress' \(fields: address, prefix\)/, { line: 1, column: 4 });
    refused('{{ name.first }}', /'name' is a single value, it has no field 'first'/);
  });

  test('a declared variable without a value is an error when written, with the way out', () => {
    refused('x {{ unset }}', /'unset' has no value for this node: write it inside \{\{#if unset\}\}/, { line: 1, column: 6 });
    refused('{{ unset.field }}', /'unset' has no value for this node, so it has no 'field' \(wrap this in \{\{#if unset\}\}/);
    refused('{{ unset | shell }}', /'unset' has no value/);
  });

  test('a list or a group of fields written as text says how to write it', () => {
    refused('{{ list }}', /list is a list: write it with \{\{#each list\}\}/);
    refused('{{ net }}', /net is a group of fields \(address, prefix\): write one of them, such as net.address/);
  });

  test('syntax errors', () => {
    refused('{{#if name}}\nx', /\{\{#if\}\} is never closed with \{\{\/if\}\}/, { line: 1, column: 1 });
    refused('a\n{{#if name}}x{{/each}}', /\{\{\/each\}\} does not match \{\{#if\}\} opened at line 2, column 1/, { line: 2, column: 14 });
    refused('{{/if}}', /closes a block that was never opened/);
    refused('{{else}}', /\{\{else\}\} outside/);
    refused('{{#if name}}a{{else}}b{{else}}c{{/if}}', /a second \{\{else\}\}/);
    refused('x {{ name', /this \{\{ is never closed/, { line: 1, column: 3 });
    refused('{{ name\n}}', /not closed with \}\} on the same line/);
    refused('{{ }}', /empty tag/);
    refused('{{#with name}}{{/with}}', /unknown block \{\{#with\}\}/);
    refused('{{ net..x }}', /is not a variable name/);
    refused('{{ name extra }}', /unexpected "extra"/);
    refused('{{#if name | xml}}{{/if}}', /filters go in \{\{ \}\} tags/);
    refused('{{ "open }}', /never closed/);
    refused('{{ . }}', /only known inside \{\{#each\}\}/);
    refused('{{ @index }}', /@index is only known inside/);
    refused('{{#each list}}{{ @foo }}{{/each}}', /unknown @foo/);
    refused('{{#each name}}x{{/each}}', /name is not a list/);
  });
});

describe('checking a template without rendering it', () => {
  test('templateVariables lists every use in every branch, with positions', () => {
    const found = templateVariables('{{#if a}}{{ b.c }}{{else}}{{ d | json }}{{/if}}\n{{#each e}}{{ . }}{{ this.f }}{{ g }}{{/each}}', 'p/answer.tmpl');
    assert.deepEqual(
      found.map((v) => [v.name, v.path, v.line, v.column]),
      [
        ['a', 'a', 1, 7],
        ['b', 'b.c', 1, 13],
        ['d', 'd', 1, 30],
        ['e', 'e', 2, 9],
        ['g', 'g', 2, 34],
      ],
    );
    assert.throws(() => templateVariables('{{#if a}}', 'p/answer.tmpl'), /p\/answer.tmpl:1:1: \{\{#if\}\} is never closed/);
  });

  test('templateProblems checks paths in all branches against a sample, and syntax', () => {
    const sample = { ipv4: { address: '10.0.0.5' }, keys: ['k'], people: [{ name: 'x' }], none: [] as unknown[] };
    assert.deepEqual(templateProblems('{{#if ipv4}}{{ ipv4.address }}{{/if}}{{#each people}}{{ this.name }}{{/each}}{{#each none}}{{ this.anything }}{{/each}}', 't', sample), []);
    const problems = templateProblems('{{#if nothing}}{{else}}{{ ipv4.adress }}{{/if}}\n{{#each people}}{{ .nam }}{{/each}}', 't', sample);
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        "t:1:7: unknown variable 'nothing' (known: ipv4, keys, none, people)",
        "t:1:27: 'ipv4.adress': no field 'adress' (fields: address)",
        "t:2:20: '.nam': no field 'nam' (fields: name)",
      ],
    );
    assert.match(templateProblems('{{ x | nope }}', 't', sample)[0]!.message, /unknown filter 'nope'/);
  });
});
