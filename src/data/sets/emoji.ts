/** The emoji sets: the same 3,786 64×64 emoji drawn in two styles (npm emoji-datasource-twitter / -google). */
import { type DatasetDescriptor, importReader } from '../set.js';

type Reader = typeof import('../emoji.js');

type Style = 'twitter' | 'google';
const STYLE_OF: Record<string, Style> = { 'emoji-twitter': 'twitter', 'emoji-google': 'google' };

function emojiSet(style: Style, partner: string): DatasetDescriptor {
  return {
    summary: `3,786 real 64×64 colour emoji in ${style === 'twitter' ? "Twitter's" : "Google's"} style (npm emoji-datasource-${style}), on white, 10 categories`,
    imageSize: 64,
    channels: 3,
    // Always composited on white (--background applies to image folders).
    background: 'white',
    splits:
      'test: a fixed 358 held out by a hash of the emoji (skin-tone variants stay together; the same emoji in both styles); train: the other 3,428',
    heldOut: 'test',
    features: 'emoji',
    async load(split, context) {
      const { loadEmoji } = await importReader<Reader>('../emoji.js', import.meta.url);
      return loadEmoji(style, split, context.cacheDir, context);
    },
    pairs: {
      partner,
      load(source, split, context) {
        const sourceStyle = STYLE_OF[source];
        if (sourceStyle == null) return null;
        return importReader<Reader>('../emoji.js', import.meta.url).then(({ loadEmojiPairs }) =>
          loadEmojiPairs(sourceStyle, style, split, context.cacheDir),
        );
      },
    },
  };
}

export const emojiTwitter = emojiSet('twitter', 'emoji-google');
export const emojiGoogle = emojiSet('google', 'emoji-twitter');
