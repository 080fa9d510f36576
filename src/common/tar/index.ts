/** Own tar codec for layers, import/export and save/load: streaming reader and writer. */
export { type TarEntryType, type TarHeader, makeHeader } from './header.ts';
export { TarReader, type TarEntry } from './reader.ts';
export { TAR_END, createTar, encodeHeader, padding, tarStream, type TarWriteEntry } from './writer.ts';
