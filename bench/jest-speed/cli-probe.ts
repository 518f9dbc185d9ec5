// The probe as the CLI runs code (tsx): `npx tsx bench/jest-speed/cli-probe.ts`
import { probe } from './probe';

probe('tsx').then((r) => console.log(JSON.stringify(r)));
