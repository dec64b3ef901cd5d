/** Which importer a model file needs, from its name alone (cheap: the CLI asks before loading anything). */
export const isOnnxFile = (location: string) => location.toLowerCase().endsWith('.onnx');
