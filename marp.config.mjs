// marp-cli configuration: the one place for the theme set, language and output options.
// VS Code's Marp extension reads the same themes from .vscode/settings.json.
import { existsSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'

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

// Figures are plain relative links in the Markdown (so VS Code's preview shows them) and are
// embedded as data: URIs here, so the HTML stays one file that loads nothing and the PDF needs no
// --allow-local-files. Links are relative to slides/, where the decks live.
const slidesDir = new URL('./slides/', import.meta.url)
const imageTypes = { '.png': 'image/png', '.svg': 'image/svg+xml', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' }

const embedLocalImages = (md) => {
  md.inline.ruler2.before('marpit_parse_image', 'embed_local_images', (state) => {
    for (const token of state.tokens) {
      const src = token.type === 'image' && token.attrGet('src')
      if (!src || /^([a-z][a-z0-9+.-]*:|\/|#)/i.test(src)) continue // data:, https:, /abs: as written (marp-cli blocks local files)
      const file = fileURLToPath(new URL(decodeURI(src), slidesDir))
      const type = imageTypes[extname(file).toLowerCase()]
      if (!type) throw new Error(`image ${src}: unsupported type (use .png or .svg)`)
      if (!existsSync(file)) throw new Error(`image ${src}: no such file ${file} (run make figures?)`)
      token.attrSet('src', `data:${type};base64,${readFileSync(file).toString('base64')}`)
    }
  })
}

// The presenter view (`?view=presenter`, marp-cli's bespoke template) shows the speaker notes
// outside the slides, in `.bespoke-marp-note`, where no theme rule reaches: Marpit scopes every
// rule of a theme to the slides. Its @font-face rules stay global, so one rule added to the CSS
// the engine renders gives the notes the deck's embedded font (lightning-fonts, tools/fonts.py,
// subset to the whole deck, notes included). Without it the notes fall back to the machine's
// fonts: boxes (□□□) where it has no Japanese one. tests/test_presenter_view.py checks it.
const NOTES_FONT = "'Noto Sans JP', sans-serif" // as `section` in slides/themes/lightning.css
const NOTES_CSS = `.bespoke-marp-note{font-family:${NOTES_FONT}}`

const styleTheNotes = (marp) => {
  const render = marp.render.bind(marp)
  marp.render = (markdown, env) => {
    const rendered = render(markdown, env)
    return { ...rendered, css: `${rendered.css}\n${NOTES_CSS}` }
  }
  return marp
}

export default {
  themeSet: ['./slides/themes', './build/themes'],
  lang: 'ja',
  html: false, // the deck needs no raw HTML
  allowLocalFiles: false, // nor local files: fonts and images are embedded
  pdfOutlines: true,
  // No pdfNotes: the PDF is the copy that is projected, and PDF viewers draw a note as a sticky-note
  // icon on the slide. The notes are in the presenter view (`?view=presenter`, linked from the site).
  options: {
    // Marp turns emoji into Twemoji images from a CDN by default; keep the build offline.
    emoji: { shortcode: false, unicode: false },
  },
  engine: ({ marp }) => styleTheNotes(marp.use(hideTestMarkers).use(embedLocalImages)),
}
