/** A model file of either format → the float graph: `.onnx` files through the ONNX importer, anything else as TF.js. */
import { type OnnxLoadOptions, loadOnnxModel } from './onnx/index.js';
import { type LoadedModel, loadTfjsModel } from './tfjs.js';

import { isOnnxFile } from '../../core/paths.js';

export { isOnnxFile };

export function loadModel(location: string, options: OnnxLoadOptions = {}): Promise<LoadedModel> {
  return isOnnxFile(location) ? loadOnnxModel(location, options) : loadTfjsModel(location);
}
