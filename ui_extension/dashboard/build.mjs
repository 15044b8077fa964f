// Builds the dashboard into OUT (default dist/): our page, script and styles, plus Chart.js's
// UMD bundle from node_modules, so the daemon serves everything itself and the page loads
// nothing from the internet.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, 'dist');
mkdirSync(join(out, 'assets'), { recursive: true });
const chartDir = join(here, 'node_modules', 'chart.js');  // its exports map hides package.json
const chartVersion = JSON.parse(readFileSync(join(chartDir, 'package.json'), 'utf8')).version;
cpSync(join(chartDir, 'dist', 'chart.umd.js'), join(out, 'assets', 'chart.umd.js'));
for (const f of ['app.js', 'style.css']) cpSync(join(here, 'src', f), join(out, 'assets', f));
const html = readFileSync(join(here, 'src', 'index.html'), 'utf8').replace('{{CHART_VERSION}}', chartVersion);
writeFileSync(join(out, 'index.html'), html);
console.log(`dashboard built in ${out} (Chart.js ${chartVersion})`);
