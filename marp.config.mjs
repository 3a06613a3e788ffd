// marp-cli configuration: the one place for the theme set, language and output options.
// VS Code's Marp extension reads the same themes from .vscode/settings.json.
import { readFileSync } from 'node:fs'

// The tools read instructions from HTML comments (<!-- pytest-codeblocks:cont -->,
// <!-- pytest.mark.skip(...) -->, <!-- snippet: fit -->, <!-- generated: ... -->), and Marp turns
// every comment that is not a directive into a speaker note. Mark those comments as parsed so
// they stay out of the notes; real notes remain. The pattern is deck/markers.json, which the
// Python deck model reads too.
const markers = JSON.parse(readFileSync(new URL('./deck/markers.json', import.meta.url), 'utf8'))
const testMarker = new RegExp(markers.tool_comment)

const hideTestMarkers = (md) => {
  md.core.ruler.before('marpit_collect', 'hide_test_markers', (state) => {
    for (const token of state.tokens) {
      if (token.type === 'marpit_comment' && testMarker.test(token.content)) {
        token.meta = { ...token.meta, marpitCommentParsed: 'pytest-codeblocks' }
      }
    }
  })
}

export default {
  themeSet: ['./slides/themes', './build/themes'],
  lang: 'ja',
  html: false, // the deck needs no raw HTML
  allowLocalFiles: false, // nor local files: fonts are embedded in the theme
  pdfOutlines: true,
  pdfNotes: true,
  options: {
    // Marp turns emoji into Twemoji images from a CDN by default; keep the build offline.
    emoji: { shortcode: false, unicode: false },
  },
  engine: ({ marp }) => marp.use(hideTestMarkers),
}
