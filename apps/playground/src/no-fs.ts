// Stands in for Node's 'fs' in the page. protobufjs (under @hubel/io) probes require('fs') and
// checks fs.readFile; this empty module tells it there is no file system.
export default {};
