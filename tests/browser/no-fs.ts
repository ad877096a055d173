// Stands in for Node's 'fs' in the browser test pages. protobufjs (under @hubel/io) probes
// require('fs') and checks fs.readFile; Vite's own stand-in warns on that read, this one is
// simply empty, so protobufjs concludes there is no file system, silently.
export default {};
