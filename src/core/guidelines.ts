/** The sources of docs/clinical-logic.md#sources that cards cite, with stable links. */
import type { GuidelineRef } from './types.js';

export const GUIDELINES = {
  hadji: {
    id: 'hadji-2017',
    label: 'AIBL joint position statement (Hadji 2017)',
    citation:
      'Hadji P et al. Management of aromatase inhibitor-associated bone loss (AIBL) in postmenopausal women with hormone sensitive breast cancer: joint position statement. J Bone Oncol 2017;7:1–12',
    url: 'https://doi.org/10.1016/j.jbo.2017.03.001',
  },
  asco: {
    id: 'asco-2019',
    label: 'ASCO osteoporosis guideline (Shapiro 2019)',
    citation:
      'Shapiro CL et al. Management of Osteoporosis in Survivors of Adult Cancers With Nonmetastatic Disease: ASCO Clinical Practice Guideline. J Clin Oncol 2019;37:2916–2946',
    url: 'https://doi.org/10.1200/JCO.19.01696',
  },
  burnettBowie: {
    id: 'burnett-bowie-2009',
    label: 'Anastrozole and bone in older men (Burnett-Bowie 2009)',
    citation:
      'Burnett-Bowie SA et al. Effects of aromatase inhibition on bone mineral density and bone turnover in older men with low testosterone levels. J Clin Endocrinol Metab 2009;94:4785–4792',
    url: 'https://pubmed.ncbi.nlm.nih.gov/19820017/',
  },
} as const satisfies Record<string, GuidelineRef>;
