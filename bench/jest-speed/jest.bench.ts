// The probe inside a jest test (swc transform, jest's sandbox, the jest process):
// `npx jest --roots '<rootDir>/bench/jest-speed' --testMatch '**/*.bench.ts' --runInBand`
import { probe } from './probe';

test('probe under jest', async () => {
  console.log(JSON.stringify(await probe('jest')));
}, 60 * 60_000);
