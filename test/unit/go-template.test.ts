/**
 * The Go text/template subset behind `--format`: examples from docker's "Format command and
 * log output" and `docker inspect` docs, Go's printing rules, parse and execution errors in
 * Go's wording, docker's table formatting and Go's tabwriter.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTemplate, formatFloat, formatRows, goJson, goStruct, sprintf, tabwrite, tabwriteText,
  TemplateError,
} from '../../src/common/go-template/index.ts';
import { InvalidArgumentError } from '../../src/common/errors.ts';

const run = (src: string, data: unknown): string => compileTemplate(src).execute(data);

const inspect = {
  Id: 'f2b3c4',
  Name: '/Web_App',
  Args: ['-g', 'daemon off;'],
  Image: 'sha256:0123abcd',
  Config: { Image: 'nginx:latest', Labels: { 'com.example.version': '1.0', maintainer: 'me' }, Env: null },
  State: { Status: 'running', Running: true, Pid: 42, Health: null },
  Mounts: [{ Type: 'volume', Name: 'data', Source: '/var/lib/wharf/volumes/data/_data', Destination: '/data', RW: true }],
  NetworkSettings: {
    Networks: { bridge: { IPAddress: '172.17.0.2' }, backend: { IPAddress: '10.0.0.5' } },
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
  },
};

describe('docker --format functions (docs.docker.com "Format command and log output")', () => {
  it('join concatenates a list of strings', () => {
    assert.equal(run('{{join .Args " , "}}', inspect), '-g , daemon off;');
  });
  it('json encodes like Go: compact, no trailing newline, HTML left alone (docker)', () => {
    assert.equal(
      run('{{json .Mounts}}', inspect),
      '[{"Type":"volume","Name":"data","Source":"/var/lib/wharf/volumes/data/_data","Destination":"/data","RW":true}]',
    );
    assert.equal(run('{{json .}}', { A: '<a&b>', B: [1, 2.5], C: null, D: new Map([['z', 1], ['a', 2]]) }),
      '{"A":"<a&b>","B":[1,2.5],"C":null,"D":{"a":2,"z":1}}');
    assert.equal(run('{{json .Missing}}', {}), 'null');
    assert.equal(run('{{json .}}', 'line\u2028sep'), '"line\\u2028sep"');
    assert.equal(goJson('<&>', true), '"\\u003c\\u0026\\u003e"');
    assert.equal(run('{{json .}}', { T: new Date('2024-01-02T03:04:05.120Z'), B: new Uint8Array([1, 2, 3]) }),
      '{"T":"2024-01-02T03:04:05.12Z","B":"AQID"}');
  });
  it('lower, upper, title', () => {
    assert.equal(run('{{lower .Name}}', inspect), '/web_app');
    assert.equal(run('{{upper .Name}}', inspect), '/WEB_APP');
    assert.equal(run('{{title .Name}}', { Name: 'hello wORLD-foo bar_baz' }), 'Hello WORLD-Foo Bar_baz');
  });
  it('split returns a list, printed like Go', () => {
    assert.equal(run('{{split .Image ":"}}', inspect), '[sha256 0123abcd]');
    assert.equal(run('{{index (split .Image ":") 1}}', inspect), '0123abcd');
  });
  it('pad adds spaces around non-empty strings only', () => {
    assert.equal(run('{{pad .Repository 5 10}}|', { Repository: 'nginx' }), '     nginx          |');
    assert.equal(run('{{pad .Repository 5 10}}|', { Repository: '' }), '|');
  });
  it('truncate cuts to a length', () => {
    assert.equal(run('{{truncate .Repository 15}}', { Repository: 'registry.example.com/team/app' }), 'registry.exampl');
    assert.equal(run('{{truncate .Repository 15}}', { Repository: 'short' }), 'short');
  });
  it('println puts each value on its own line', () => {
    assert.equal(
      run('{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}', inspect),
      '10.0.0.5\n172.17.0.2\n',
    );
  });
  it('docker inspect examples: nested fields, index, range over a map with variables', () => {
    assert.equal(run('{{.Config.Image}}', inspect), 'nginx:latest');
    assert.equal(run('{{index .Config.Labels "com.example.version"}}', inspect), '1.0');
    assert.equal(run('{{.Config.Labels.maintainer}}', inspect), 'me');
    assert.equal(
      run('{{range $p, $conf := .NetworkSettings.Ports}} {{$p}} -> {{(index $conf 0).HostPort}} {{end}}', inspect),
      ' 80/tcp -> 8080 ',
    );
    assert.equal(run('{{.State.Health}} {{.Config.Env}} {{.Nope}}', inspect), '<nil> <nil> <no value>');
  });
});

describe('actions and control structures', () => {
  const d = { A: { B: 'deep' }, List: ['x', 'y', 'z'], Empty: [], N: 3, Zero: 0, S: '', T: true };
  it('fields, dot, variables and assignment', () => {
    assert.equal(run('{{.A.B}} {{.}}', { A: { B: 'deep' } }), 'deep map[A:map[B:deep]]');
    assert.equal(run('{{.}}', 'plain'), 'plain');
    assert.equal(run('{{$x := .A}}{{$x.B}}{{$x = "re"}} {{$x}} {{$.N}}', d), 'deep re 3');
  });
  it('range with else, index/element variables, break and continue, over integers', () => {
    assert.equal(run('{{range .List}}[{{.}}]{{end}}', d), '[x][y][z]');
    assert.equal(run('{{range $i, $e := .List}}{{$i}}{{$e}}{{end}}', d), '0x1y2z');
    assert.equal(run('{{range $e := .List}}{{$e}}{{end}}', d), 'xyz');
    assert.equal(run('{{range .Empty}}x{{else}}none{{end}}', d), 'none');
    assert.equal(run('{{range .Missing}}x{{else}}none{{end}}', d), 'none');
    assert.equal(run('{{range .List}}{{if eq . "y"}}{{continue}}{{end}}{{if eq . "z"}}{{break}}{{end}}{{.}}{{end}}', d), 'x');
    assert.equal(run('{{range 3}}{{.}}{{end}}', d), '012');
  });
  it('if / else if / else and with / else with use Go truthiness', () => {
    const t = compileTemplate('{{if .Zero}}a{{else if .S}}b{{else if .Empty}}c{{else if .T}}d{{else}}e{{end}}');
    assert.equal(t.execute(d), 'd');
    assert.equal(t.execute({ ...d, T: false }), 'e');
    assert.equal(run('{{with .A}}{{.B}}{{end}}{{with .Missing}}no{{else}}-{{end}}', d), 'deep-');
    assert.equal(run('{{with .Missing}}a{{else with .A.B}}{{.}}{{end}}', d), 'deep');
    assert.equal(run('{{if .A}}map{{end}}{{if .Nothing}}x{{end}}', d), 'map');
  });
  it('variables declared in a block end with it', () => {
    assert.throws(() => compileTemplate('{{if true}}{{$v := 1}}{{end}}{{$v}}'), /undefined variable "\$v"/);
  });
  it('pipelines, parenthesised calls and literals', () => {
    assert.equal(run('{{.A.B | printf "%s!" | upper}}', d), 'DEEP!');
    assert.equal(run('{{printf "%d-%s-%v-%v" (len .List) (index .List 0) true 1.5}}', d), '3-x-true-1.5');
    assert.equal(run('{{"raw" | printf "%q"}} {{`back\\n`}} {{\'a\'}} {{0x10}} {{-2}} {{1e3}}', d), '"raw" back\\n 97 16 -2 1000');
    assert.equal(run('{{(index .List 2)}}{{ (.A).B }}', d), 'zdeep');
    assert.equal(run('{{"a\\tb\\u00e9"}}', d), 'a\tbé');
  });
  it('trim markers and comments', () => {
    assert.equal(run('a  {{- .N -}}  \n b', d), 'a3b');
    assert.equal(run('a {{/* note */}}b {{- /* x */ -}} c', d), 'a bc');
    assert.equal(run('{{-3}}', d), '-3');
  });
  it('builtin functions: comparisons, and/or/not, len, index, slice, print', () => {
    assert.equal(run('{{eq .N 3}} {{eq .S "a" "" }} {{ne .N 4}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', d),
      'true true true true true true false');
    assert.equal(run('{{and 1 "x" 0}} {{and 1 2}} {{or 0 "" "z"}} {{or 0 ""}} {{not .S}}', d), '0 2 z  true');
    assert.equal(run('{{and .Missing .Missing.Deeper}}|{{or .T .Missing.X}}', d), '<nil>|true');
    assert.equal(run('{{len "héllo"}} {{len .List}} {{len .A}}', d), '6 3 1');
    assert.equal(run('{{slice .List 1 2}} {{slice "hello" 1 3}} {{slice "abc" 1}}', d), '[y] el bc');
    assert.equal(run('{{print 1 2 "a" "b" 3}} {{print .List}}', d), '1 2ab3 [x y z]');
    assert.equal(run('{{html "<a href=\'x\'>&"}} {{urlquery "a b&c"}} {{js "it\'s <b>"}}', d),
      "&lt;a href=&#39;x&#39;&gt;&amp; a+b%26c it\\'s \\u003Cb\\u003E");
    assert.equal(run('{{index .M "k" 1}}', { M: { k: ['a', 'b'] } }), 'b');
  });
  it('calls function-valued fields of structs like methods', () => {
    class Ctx { Name = 'n'; Greet(p: string) { return `${p} ${this.Name}`; } }
    assert.equal(run('{{.Greet "hi"}} {{"yo" | .Greet}}', new Ctx()), 'hi n yo n');
  });
  it('custom functions', () => {
    assert.equal(compileTemplate('{{shout .}}', { funcs: { shout: (s: string) => `${s}!` } }).execute('x'), 'x!');
  });
});

describe('printing values like Go fmt %v', () => {
  it('scalars, slices, maps, nil and missing values', () => {
    assert.equal(run('{{.}}', [1, 'a', true, null, [2, 3]]), '[1 a true <nil> [2 3]]');
    assert.equal(run('{{.}}', { b: 2, a: { c: [] } }), 'map[a:map[c:[]] b:2]');
    assert.equal(run('{{.}}', new Map([[2, 'two'], [1, 'one']])), 'map[1:one 2:two]');
    assert.equal(run('{{.}} {{.}}', null), '<nil> <nil>');
    assert.equal(run('{{.X}}', {}), '<no value>');
    assert.equal(run('{{.}}', goStruct({ A: 1, B: 'x' }, 'T')), '{1 x}');
    assert.equal(run('{{.}}', 1e6 + 0.5), '1.0000005e+06');
    assert.equal(run('{{.}}', 0.000012), '1.2e-05');
    assert.equal(run('{{.}}', 123456789), '123456789');
    assert.equal(run('{{.}}', new Date('2024-05-06T07:08:09Z')), '2024-05-06 07:08:09 +0000 UTC');
  });
});

describe('printf', () => {
  it('verbs, flags, width and precision', () => {
    assert.equal(sprintf('%s|%d|%v|%q|%-10s|%5.2f|%05d|%+d|%x|%X|%o|%b|%c|%U|%t|%%', [
      'a', 42, [1, 2], 'q"x', 'left', 3.14159, 42, 5, 255, 'hi', 8, 5, 65, 0x1f600, true,
    ]), 'a|42|[1 2]|"q\\"x"|left      | 3.14|00042|+5|ff|6869|10|101|A|U+1F600|true|%');
    assert.equal(sprintf('%8.3s|%-6d|%6.2f%%|%e|%g|%.3g', ['abcdef', 7, 99.5, 1234.5678, 0.00001, 1.23456]),
      '     abc|7     | 99.50%|1.234568e+03|1e-05|1.23');
    assert.equal(sprintf('%*d|%-*d|', [4, 7, 3, 5]), '   7|5  |');
    assert.equal(sprintf('%[2]s %[1]s', ['a', 'b']), 'b a');
  });
  it('reports bad verbs, missing and extra arguments like Go', () => {
    assert.equal(sprintf('%d', ['x']), '%!d(string=x)');
    assert.equal(sprintf('%s', [3]), '%!s(int=3)');
    assert.equal(sprintf('%d', [1.5]), '%!d(float64=1.5)');
    assert.equal(sprintf('%s %s', ['a']), 'a %!s(MISSING)');
    assert.equal(sprintf('%s', ['a', 1, 'b']), 'a%!(EXTRA int=1, string=b)');
    assert.equal(sprintf('%s', [null]), '%!s(<nil>)');
    assert.equal(sprintf('%v', [null]), '<nil>');
    assert.equal(sprintf('abc%', []), 'abc%!(NOVERB)');
  });
  it('rounds like Go (half to even on exact ties)', () => {
    assert.equal(sprintf('%.0f %.0f %.2f %.1f', [2.5, 3.5, 1.005, 0.25]), '2 4 1.00 0.2');
    assert.equal(formatFloat(999.999, 'g', 3), '1e+03');
  });
});

describe('errors in Go wording', () => {
  const parseError = (src: string): string => {
    try {
      compileTemplate(src);
    } catch (e) {
      assert.ok(e instanceof TemplateError && e instanceof InvalidArgumentError);
      return e.message;
    }
    throw new Error(`no error for ${src}`);
  };
  it('parse errors', () => {
    assert.equal(parseError('{{.Foo}'), 'template: :1: unexpected "}" in operand');
    assert.equal(parseError('{{.Foo'), 'template: :1: unclosed action');
    assert.equal(parseError('a\n{{if .A}}x'), 'template: :2: unexpected EOF');
    assert.equal(parseError('{{end}}'), 'template: :1: unexpected {{end}}');
    assert.equal(parseError('{{else}}'), 'template: :1: unexpected {{else}}');
    assert.equal(parseError('{{nofunc .A}}'), 'template: :1: function "nofunc" not defined');
    assert.equal(parseError('{{$x}}'), 'template: :1: undefined variable "$x"');
    assert.equal(parseError('{{}}'), 'template: :1: missing value for command');
    assert.equal(parseError('{{if}}{{end}}'), 'template: :1: missing value for if');
    assert.equal(parseError('{{.A | "x"}}'), 'template: :1: non executable command in pipeline stage 2');
    assert.equal(parseError('{{"abc}}'), 'template: :1: unterminated quoted string');
    assert.equal(parseError('{{/* x */ }}'), 'template: :1: comment ends before closing delimiter');
    assert.equal(parseError('{{/* x'), 'template: :1: unclosed comment');
    assert.equal(parseError('{{(.A}}'), 'template: :1: unclosed left paren');
    assert.equal(parseError('{{.A)}}'), 'template: :1: unexpected right paren');
    assert.equal(parseError('{{break}}'), 'template: :1: {{break}} outside {{range}}');
    assert.equal(parseError('{{range $a, $b, $c := .}}{{end}}'), 'template: :1: too many declarations in range');
  });
  const execError = (src: string, data: unknown): string => {
    try {
      compileTemplate(src).execute(data);
    } catch (e) {
      assert.ok(e instanceof TemplateError);
      return e.message;
    }
    throw new Error(`no error for ${src}`);
  };
  it('execution errors name the position and node', () => {
    const row = goStruct({ ID: 'abc' }, '*formatter.ContainerContext');
    assert.equal(execError('{{.Foo}}', row),
      'template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext');
    assert.equal(execError('x\n  {{.ID.Foo}}', row),
      'template: :2:7: executing "" at <.ID.Foo>: can\'t evaluate field Foo in type string');
    assert.equal(execError('{{index .L 5}}', { L: [1] }),
      'template: :1:2: executing "" at <index .L 5>: error calling index: index out of range: 5');
    assert.equal(execError('{{pad .S 1}}', { S: 'a' }),
      'template: :1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 2');
    assert.equal(execError('{{pad .S "x" 1}}', { S: 'a' }),
      'template: :1:9: executing "" at <"x">: expected integer; found "x"');
    assert.equal(execError('{{upper .N}}', { N: 1 }),
      'template: :1:8: executing "" at <.N>: wrong type for value; expected string; got int');
    assert.equal(execError('{{eq .N "1"}}', { N: 1 }),
      'template: :1:2: executing "" at <eq .N "1">: error calling eq: incompatible types for comparison');
    assert.equal(execError('{{.N.X}}', { N: null }),
      'template: :1:4: executing "" at <.N.X>: nil pointer evaluating interface {}.X');
    assert.equal(execError('{{range .}}{{end}}', 'str'),
      'template: :1:8: executing "" at <.>: range can\'t iterate over str');
    assert.equal(execError('{{.A 1}}', { A: 'x' }),
      'template: :1:2: executing "" at <.A>: A is not a method but has arguments');
  });
  it('Execute keeps the output written before the error', () => {
    const r = compileTemplate('ok {{.ID}} {{.Foo}} never').executePartial(goStruct({ ID: 1 }, 'T'));
    assert.equal(r.output, 'ok 1 ');
    assert.match(r.error!.message, /can't evaluate field Foo in type T/);
  });
});

describe('formatRows (docker formatter.Context)', () => {
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE' };
  const rows = [
    { ID: '4e7ab1e4d2ae', Repository: 'nginx', Tag: 'latest', Size: '187MB' },
    { ID: 'a416a98b71e2', Repository: 'registry.example.com/team/app', Tag: '1.2.3', Size: '7.8MB' },
  ];
  it('renders a table with headers aligned by tabwriter(10,1,3)', () => {
    assert.equal(formatRows('table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}\\t{{.Size}}', rows, headers),
      'IMAGE ID       REPOSITORY                      TAG       SIZE\n' +
      '4e7ab1e4d2ae   nginx                           latest    187MB\n' +
      'a416a98b71e2   registry.example.com/team/app   1.2.3     7.8MB\n');
  });
  it('prints only the header for no rows, and header functions keep header text', () => {
    assert.equal(formatRows('table {{.ID}}\t{{lower .Tag}}', [], headers), 'IMAGE ID   TAG\n');
    assert.equal(formatRows('table {{truncate .ID 4}}\t{{.Tag}}', rows.slice(0, 1), headers),
      'IMAGE ID   TAG\n4e7a       latest\n');
  });
  it('non-table formats print each row and a newline; json alone is {{json .}}', () => {
    assert.equal(formatRows('{{.Repository}}:{{.Tag}}', rows, headers), 'nginx:latest\nregistry.example.com/team/app:1.2.3\n');
    assert.equal(formatRows('  {{.Tag}}\\n  ', rows.slice(0, 1), headers), 'latest\n\n');
    assert.equal(formatRows('json', [{ A: 1 }], {}), '{"A":1}\n');
  });
  it('table alone uses the command default', () => {
    assert.equal(formatRows('table', rows.slice(0, 1), headers, { tableDefault: 'table {{.Repository}}\t{{.Tag}}' }),
      'REPOSITORY   TAG\nnginx        latest\n');
  });
  it('unknown fields are errors with docker\'s prefix', () => {
    assert.throws(() => formatRows('{{.Nope}}', rows, headers, { typeName: '*formatter.ImageContext' }), {
      message: 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ImageContext',
    });
    assert.throws(() => formatRows('{{.Nope', rows, headers), {
      message: 'template parsing error: template: :1: unclosed action',
    });
  });
});

describe('tabwriter', () => {
  it('pads cells to the widest plus padding, at least minwidth; last cell unpadded', () => {
    assert.equal(tabwrite(['a\tbb\tccc', 'dddddddddddddd\te\tf']),
      'a                bb        ccc\ndddddddddddddd   e         f\n');
  });
  it('a line with fewer cells ends the column block', () => {
    assert.equal(tabwrite(['aaaaaaaaaaaaaaaaa\tb', 'no tabs', 'c\td']),
      'aaaaaaaaaaaaaaaaa   b\nno tabs\nc         d\n');
  });
  it('counts runes, supports empty cells and other settings', () => {
    assert.equal(tabwrite(['é\tx', '\ty']), 'é         x\n          y\n');
    assert.equal(tabwriteText('a\tb\nccc\td', { minwidth: 0, padding: 1 }), 'a   b\nccc d');
    assert.equal(tabwriteText('a\tb\n', { minwidth: 0, padding: 1, alignRight: true }), ' ab\n');
  });
});
