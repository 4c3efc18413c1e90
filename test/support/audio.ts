export { sineWav } from '../../src/simulator/sine-wav';
