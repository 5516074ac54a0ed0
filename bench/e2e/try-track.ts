import { trackingFigures } from './tracking.bench';
import { line } from './report';
void trackingFigures({ small: Number(process.env.S ?? 5), big: Number(process.env.B ?? 20), timeoutMs: Number(process.env.T ?? 120_000) }).then((fs) => fs.forEach((f) => process.stdout.write(line(f) + '\n')));
