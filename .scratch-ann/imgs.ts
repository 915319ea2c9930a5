import { writeImageFolder } from '../test/helpers/images.js'; await writeImageFolder('/tmp/ann-cli/photos', 30, 10);
