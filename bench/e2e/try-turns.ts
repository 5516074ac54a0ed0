import { turnFigures } from './turns.bench';
import { line } from './report';
void turnFigures({ rounds: 2, roundMs: 1500 }).then((fs) => fs.forEach((f) => process.stdout.write(line(f) + '\n')));
