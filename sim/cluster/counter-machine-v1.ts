// Version 1 of the simulation's counter (counter-machine.ts), which a rolling upgrade installs
// node by node.
import { counterMachine } from './counter-machine.js';

export default counterMachine(1);
