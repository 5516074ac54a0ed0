import { processFigures } from './process.bench';
import { line } from './report';
void processFigures({ rounds: 3 }).then((fs) => fs.forEach((f) => process.stdout.write(line(f) + '\n')));
